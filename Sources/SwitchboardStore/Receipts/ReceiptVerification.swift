import Crypto
import Foundation
import SwitchboardDomain

/// Checks a signed receipt offline: parse strictly, re-canonicalise without the `signature` member,
/// and verify the Ed25519 signature. Re-canonicalising is what lets a receipt survive re-indentation
/// or member re-ordering by whoever stored or forwarded it.
package enum ReceiptVerification {
    /// - Parameter trustedKeys: raw 32-byte public keys by key id. When given, the receipt's key id
    ///   must be among them with the same public key, and the verdict is `trusted`. When `nil`, the
    ///   signature is checked under the embedded public key only (integrity, not origin).
    package static func verify(_ bytes: some Collection<UInt8>, trustedKeys: [UUID: [UInt8]]? = nil) -> ReceiptVerdict {
        do throws(ReceiptVerdict.Reason) {
            let receipt: CanonicalJSON
            do { receipt = try CanonicalJSON(parsing: bytes) } catch { throw .notJSON(error) }
            return try check(receipt, trustedKeys: trustedKeys)
        } catch {
            return .invalid(reason: error)
        }
    }

    private static func check(_ receipt: CanonicalJSON, trustedKeys: [UUID: [UInt8]]?)
        throws(ReceiptVerdict.Reason) -> ReceiptVerdict
    {
        typealias Format = ReceiptSignatureFormat
        guard case .object(let members) = receipt else { throw .notAnObject }
        guard let signatureMember = members[Format.member] else { throw .missingSignature }
        guard case .object(let fields) = signatureMember else { throw .malformedSignature("not an object") }
        func text(_ name: String) throws(ReceiptVerdict.Reason) -> String {
            guard let value = fields[name] else { throw .malformedSignature("no \"\(name)\"") }
            guard let string = value.stringValue else { throw .malformedSignature("\"\(name)\" is not a string") }
            return string
        }

        let algorithm = try text(Format.algorithmField)
        guard algorithm == Format.algorithm else { throw .unsupportedAlgorithm(algorithm) }
        if let unknown = fields.keys.filter({ !Format.fields.contains($0) }).sorted().first {
            throw .malformedSignature("unknown field \"\(unknown)\"")
        }
        let keyIDText = try text(Format.keyIDField)
        guard let keyID = UUID(uuidString: keyIDText) else { throw .invalidKeyID(keyIDText) }
        guard let publicKey = decodeBase64(try text(Format.publicKeyField)) else { throw .publicKeyNotBase64 }
        guard publicKey.count == Format.publicKeyLength else { throw .publicKeyLength(publicKey.count) }
        guard let signature = decodeBase64(try text(Format.valueField)) else { throw .signatureNotBase64 }
        guard signature.count == Format.signatureLength else { throw .signatureLength(signature.count) }

        if let trustedKeys {
            guard let trustedKey = trustedKeys[keyID] else { throw .untrustedKey(keyID) }
            guard trustedKey == publicKey else { throw .publicKeyMismatch(keyID) }
        }
        let payload = receipt.removingMember(Format.member).canonicalBytes
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
            key.isValidSignature(signature, for: payload)
        else { throw .signatureMismatch }
        return .valid(keyID: keyID, kind: members["kind"]?.stringValue, trusted: trustedKeys != nil)
    }

    /// Standard padded base64, refusing any other spelling of the same bytes (whitespace, missing
    /// padding, stray bits), so a receipt has one textual form.
    private static func decodeBase64(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }
}
