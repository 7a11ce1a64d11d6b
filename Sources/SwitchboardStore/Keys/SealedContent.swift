import Crypto
import Foundation

/// The at-rest form of one item of a person's content (a voicemail, a recording):
/// `[formatVersion] ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, AES-256-GCM under the person's
/// ``DataKey``. The content ID is authenticated, so sealed bytes moved to another item do not open.
public enum SealedContent {
    /// The first byte of every sealed item, so a later format can be told apart.
    public static let formatVersion: UInt8 = 1

    /// Bytes a sealed item has beyond its plaintext: version, nonce and tag.
    public static let overhead = 1 + 12 + 16

    /// Seals `plaintext` with a fresh random nonce, so sealing the same bytes twice gives different output.
    public static func seal(_ plaintext: some Collection<UInt8>, contentID: UUID, with key: DataKey) -> [UInt8] {
        let associated = associatedData(contentID: contentID)
        let box: AES.GCM.SealedBox
        do {
            // Contiguous input (arrays, slices, Data) goes to BoringSSL without a copy.
            box = try plaintext.withContiguousStorageIfAvailable { buffer in
                try AES.GCM.seal(UnsafeRawBufferPointer(buffer), using: key.key, authenticating: associated)
            } ?? AES.GCM.seal(Array(plaintext), using: key.key, authenticating: associated)
        } catch {
            // Sealing fails only for a key that is not 128, 192 or 256 bits, which a DataKey never is.
            preconditionFailure("AES-GCM sealing under a 256-bit key failed: \(error)")
        }
        guard let combined = box.combined else {
            preconditionFailure("AES-GCM sealed box with a 12-byte nonce has no combined form")
        }
        var sealed: [UInt8] = []
        sealed.reserveCapacity(1 + combined.count)
        sealed.append(formatVersion)
        sealed.append(contentsOf: combined)
        return sealed
    }

    /// Opens what ``seal(_:contentID:with:)`` produced. Any other content ID, another key or an
    /// altered byte throws ``SealedContentError/cannotOpen``.
    public static func open(_ sealed: some Collection<UInt8>, contentID: UUID, with key: DataKey) throws(SealedContentError) -> [UInt8] {
        let result = sealed.withContiguousStorageIfAvailable { buffer in
            open(contiguous: UnsafeRawBufferPointer(buffer), contentID: contentID, key: key)
        } ?? Array(sealed).withUnsafeBytes { open(contiguous: $0, contentID: contentID, key: key) }
        return try result.get()
    }

    private static func open(contiguous sealed: UnsafeRawBufferPointer, contentID: UUID, key: DataKey) -> Result<[UInt8], SealedContentError> {
        guard let version = sealed.first else { return .failure(.malformed) }
        guard version == formatVersion else { return .failure(.unknownFormat(version)) }
        guard sealed.count >= overhead else { return .failure(.malformed) }
        do {
            let box = try AES.GCM.SealedBox(combined: UnsafeRawBufferPointer(rebasing: sealed[1...]))
            let plain = try AES.GCM.open(box, using: key.key, authenticating: associatedData(contentID: contentID))
            return .success(Array(plain))
        } catch {
            return .failure(.cannotOpen)
        }
    }

    /// "switchboard-content" followed by the content ID's 16 raw bytes.
    static func associatedData(contentID: UUID) -> [UInt8] {
        var bytes = Array("switchboard-content".utf8)
        withUnsafeBytes(of: contentID.uuid) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// Why sealed content could not be opened.
public enum SealedContentError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Sealed for another item or under another key, or altered.
    case cannotOpen
    /// The first byte names a format this build does not know.
    case unknownFormat(UInt8)
    /// Too short to be sealed content.
    case malformed

    public var description: String {
        switch self {
        case .cannotOpen:
            "The content could not be decrypted: it was sealed for another item or under another key, or it was altered."
        case .unknownFormat(let version):
            "The content has format version \(version), which this build does not know; it may have been written by a newer Switchboard."
        case .malformed:
            "The content is shorter than the \(SealedContent.overhead) bytes every sealed item has, so it is truncated or not sealed content."
        }
    }
}
