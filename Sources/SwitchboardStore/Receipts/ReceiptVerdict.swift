import Foundation
import SwitchboardDomain

/// The outcome of checking a receipt. `valid` says whose key signed it and whether that key was
/// checked against a trusted list: without one, only integrity under the embedded key is known,
/// and anyone could have made such a receipt with a key of their own.
package enum ReceiptVerdict: Sendable, Equatable, CustomStringConvertible {
    /// The signature matches. `trusted` is true only when `keyID` was among the verifier's trusted
    /// keys with the embedded public key; false means "intact, signer unknown".
    case valid(keyID: UUID, kind: String?, trusted: Bool)
    case invalid(reason: Reason)

    package var isValid: Bool {
        if case .valid = self { true } else { false }
    }

    package var description: String {
        switch self {
        case .valid(let keyID, let kind, let trusted):
            "valid \(kind.map { "\"\($0)\" " } ?? "")receipt signed by key \(keyID.uuidString.lowercased())"
                + (trusted ? " (a trusted key)" : " (integrity only: the key was not checked against trusted keys)")
        case .invalid(let reason):
            "invalid receipt: \(reason)"
        }
    }

    /// Why a receipt is refused; typed so that callers and tests can tell the cases apart.
    package enum Reason: Error, Sendable, Equatable, CustomStringConvertible {
        case notJSON(CanonicalJSONError)
        case notAnObject
        case missingSignature
        /// The `signature` member is not an object, lacks a field, has a non-string field or an unknown one.
        case malformedSignature(String)
        case unsupportedAlgorithm(String)
        case invalidKeyID(String)
        case publicKeyNotBase64
        case publicKeyLength(Int)
        case signatureNotBase64
        case signatureLength(Int)
        /// `trustedKeys` were given and do not include this key id.
        case untrustedKey(UUID)
        /// The key id is trusted, but under a different public key than the one embedded.
        case publicKeyMismatch(UUID)
        /// The signature does not match the receipt: it was altered after signing, or signed by another key.
        case signatureMismatch

        package var description: String {
            switch self {
            case .notJSON(let error): "not a receipt document: \(error)"
            case .notAnObject: "not a JSON object"
            case .missingSignature: "no \"signature\" member"
            case .malformedSignature(let detail): "malformed \"signature\" member: \(detail)"
            case .unsupportedAlgorithm(let name): "signature algorithm \"\(name)\" is not Ed25519"
            case .invalidKeyID(let text): "keyId \"\(text)\" is not a UUID"
            case .publicKeyNotBase64: "publicKey is not canonical base64"
            case .publicKeyLength(let count): "publicKey is \(count) bytes, not 32"
            case .signatureNotBase64: "signature value is not canonical base64"
            case .signatureLength(let count): "signature value is \(count) bytes, not 64"
            case .untrustedKey(let id): "key \(id.uuidString.lowercased()) is not a trusted receipt key"
            case .publicKeyMismatch(let id):
                "publicKey differs from the trusted public key of key \(id.uuidString.lowercased())"
            case .signatureMismatch: "signature does not match the receipt (altered, or signed by another key)"
            }
        }
    }
}
