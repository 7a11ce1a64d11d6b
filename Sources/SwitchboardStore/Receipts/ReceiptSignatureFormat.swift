/// The names of the receipt signature format, shared by signer and verifier so the two cannot drift.
/// A receipt carries one member ``member``: `{"algorithm":"Ed25519","keyId":…,"publicKey":…,"value":…}`,
/// and the signature covers the RFC 8785 form of the receipt without that member.
enum ReceiptSignatureFormat {
    static let member = "signature"
    static let algorithm = "Ed25519"
    static let algorithmField = "algorithm"
    static let keyIDField = "keyId"
    static let publicKeyField = "publicKey"
    static let valueField = "value"
    static let fields: Set = [algorithmField, keyIDField, publicKeyField, valueField]
    static let publicKeyLength = 32
    static let signatureLength = 64
}
