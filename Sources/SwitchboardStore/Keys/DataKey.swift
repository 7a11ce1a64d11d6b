import Crypto
import Foundation

/// One person's content key (AES-256). It is stored only wrapped under the ``KeyEncryptionKey``,
/// so deleting the wrapped key makes everything sealed with it unreadable (crypto-shredding).
///
/// `@unchecked` only because swift-crypto before 4.0 does not mark the immutable `SymmetricKey`
/// `Sendable`; every stored property is immutable.
public struct DataKey: @unchecked Sendable, CustomStringConvertible {
    /// Bytes of a wrapped key: 12-byte nonce, the 32 key bytes encrypted, 16-byte tag.
    public static let wrappedByteCount = 12 + 32 + 16

    let key: SymmetricKey

    init(key: SymmetricKey) { self.key = key }

    /// A fresh random key, for a person who has none yet.
    public static func generate() -> DataKey {
        DataKey(key: SymmetricKey(size: .bits256))
    }

    /// Says nothing of the key, so a key interpolated into a log line cannot leak.
    public var description: String { "DataKey(redacted)" }

    /// The key sealed under `kek` for storage in `subject`'s row (nonce ‖ ciphertext ‖ tag). The
    /// subject is authenticated, so a wrapped key copied to another person's row does not unwrap.
    public func wrapped(under kek: KeyEncryptionKey, subject: UUID) -> [UInt8] {
        let associated = Self.associatedData(subject: subject)
        let box: AES.GCM.SealedBox
        do {
            box = try key.withUnsafeBytes { try AES.GCM.seal($0, using: kek.key, authenticating: associated) }
        } catch {
            // Sealing fails only for a key that is not 128, 192 or 256 bits, which a KEK never is.
            preconditionFailure("AES-GCM sealing under a 256-bit key failed: \(error)")
        }
        guard let combined = box.combined else {
            preconditionFailure("AES-GCM sealed box with a 12-byte nonce has no combined form")
        }
        return Array(combined)
    }

    /// Unwraps a key stored by ``wrapped(under:subject:)``. A different KEK, a different subject
    /// or any altered byte throws ``DataKeyError/cannotUnwrap``; a wrong size ``DataKeyError/malformed``.
    public init(unwrapping wrapped: [UInt8], under kek: KeyEncryptionKey, subject: UUID) throws(DataKeyError) {
        guard wrapped.count == Self.wrappedByteCount else { throw .malformed }
        let plain: Data
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            plain = try AES.GCM.open(box, using: kek.key, authenticating: Self.associatedData(subject: subject))
        } catch {
            throw .cannotUnwrap
        }
        guard plain.count == 32 else { throw .malformed }
        self.init(key: SymmetricKey(data: plain))
    }

    /// 32 bytes derived for one purpose (HKDF-SHA256), for subjects whose key is not a content key:
    /// a receipt-signing seed, a webhook's HMAC secret. Destroying the data key destroys them too.
    func derivedBytes(purpose: String) -> [UInt8] {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array(purpose.utf8), outputByteCount: 32)
            .withUnsafeBytes { Array($0) }
    }

    /// "switchboard-data-key" followed by the subject's 16 raw bytes.
    static func associatedData(subject: UUID) -> [UInt8] {
        var bytes = Array("switchboard-data-key".utf8)
        withUnsafeBytes(of: subject.uuid) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// Why a wrapped data key could not be unwrapped.
public enum DataKeyError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Wrapped under another KEK, for another person, or altered.
    case cannotUnwrap
    /// Not the size of a wrapped key.
    case malformed

    public var description: String {
        switch self {
        case .cannotUnwrap:
            "The person's data key could not be unwrapped: it was wrapped under another key-encryption key, belongs to another person, or was altered."
        case .malformed:
            "The stored data key is not \(DataKey.wrappedByteCount) bytes long, so it is not a wrapped data key."
        }
    }
}
