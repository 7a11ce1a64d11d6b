import Crypto
import Foundation
import SwitchboardDomain

/// Signs receipts with Ed25519 so that anyone holding the public key (it is embedded in every
/// receipt and published under ``keyID``) can check them offline, without Switchboard.
///
/// `@unchecked Sendable`: swift-crypto before 4 does not mark `Curve25519.Signing.PrivateKey`
/// `Sendable`, though it is an immutable value; every stored property here is a `let`.
package struct ReceiptSigningKey: @unchecked Sendable {
    package let keyID: UUID
    /// What a key-store key is derived for when it seeds a signing key (HKDF info).
    package static let seedPurpose = "switchboard-receipt-signing-key"
    private let privateKey: Curve25519.Signing.PrivateKey

    /// `seed` is the 32-byte Ed25519 private key (RFC 8032's "secret key"), e.g. a random data key.
    package init(keyID: UUID, seed: [UInt8]) throws {
        guard seed.count == 32 else { throw ReceiptSigningError.invalidSeedLength(seed.count) }
        self.keyID = keyID
        self.privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// The 32-byte raw public key, as embedded in receipts and given to verifiers as a trusted key.
    package var publicKey: [UInt8] {
        Array(privateKey.publicKey.rawRepresentation)
    }

    /// `receipt` with a `signature` member over its canonical bytes. The receipt must be an object
    /// without a `signature` member.
    package func sign(_ receipt: CanonicalJSON) throws -> CanonicalJSON {
        guard case .object(var members) = receipt else { throw ReceiptSigningError.notAnObject }
        guard members[ReceiptSignatureFormat.member] == nil else { throw ReceiptSigningError.alreadySigned }
        let signature = try privateKey.signature(for: receipt.canonicalBytes)
        members[ReceiptSignatureFormat.member] = .object([
            ReceiptSignatureFormat.algorithmField: .string(ReceiptSignatureFormat.algorithm),
            ReceiptSignatureFormat.keyIDField: .string(keyID.uuidString.lowercased()),
            ReceiptSignatureFormat.publicKeyField: .string(Data(publicKey).base64EncodedString()),
            ReceiptSignatureFormat.valueField: .string(Data(signature).base64EncodedString()),
        ])
        return .object(members)
    }
}
