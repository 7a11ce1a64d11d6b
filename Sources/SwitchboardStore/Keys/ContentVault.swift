import Foundation
import PostgresNIO

/// Seals people's content with their own data key before it reaches the main database, and opens
/// it on the way out. Erasure destroys the key first (``erase(_:reason:)``): from then on every
/// copy of the sealed bytes, in the live database, its WAL, replicas or backups, is unreadable.
public struct ContentVault: Sendable {
    public let keys: any KeyStore

    public init(keys: any KeyStore) {
        self.keys = keys
    }

    /// `bytes` sealed for `owner`, bound to `contentID` (a sealed item moved to another id does not open).
    public func seal(_ bytes: [UInt8], contentID: UUID, owner: UUID) async throws -> [UInt8] {
        let key = try await keys.dataKey(for: owner)
        return SealedContent.seal(bytes, contentID: contentID, with: key)
    }

    /// The content as stored: sealed bytes are opened with the owner's key, content stored before
    /// sealing existed (`sealed` false, until the retention job seals it) passes as it is.
    public func open(_ stored: ByteBuffer, sealed: Bool, contentID: UUID, owner: UUID) async throws -> [UInt8] {
        guard sealed else { return Array(buffer: stored) }
        guard let key = try await keys.existingDataKey(for: owner) else { throw KeyStoreError.corrupt(owner) }
        return try SealedContent.open(stored.readableBytesView, contentID: contentID, with: key)
    }

    /// Destroys the people's keys (and records their tombstones) before their rows go.
    @discardableResult
    public func erase(_ people: [UUID], reason: String) async throws -> Int {
        try await keys.destroyDataKeys(of: people, reason: reason)
    }
}
