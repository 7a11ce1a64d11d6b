import Foundation

/// Where people's content keys live: apart from the main database, so that its backups (which
/// keep deleted rows for as long as they are kept) never hold a key an erasure destroyed.
///
/// The embedded default is ``PostgresKeyStore``, a database of its own whose backups must be kept
/// for less than the erasure deadline. A KMS plugs in here: `dataKey(for:)` asks it to unwrap (or
/// to generate and wrap) the person's key, `destroyDataKeys` deletes the wrapped key there. Keep
/// one KMS key (the KEK) for all data keys, not one per person: the data keys stay in a table.
public protocol KeyStore: Sendable {
    /// The person's data key, made on first use. Throws ``KeyStoreError/destroyed`` once the key
    /// was destroyed: nothing new is ever sealed for an erased person.
    func dataKey(for subject: UUID) async throws -> DataKey

    /// The person's data key if one was ever made (nil: nothing sealed for them yet). Throws
    /// ``KeyStoreError/destroyed`` once destroyed.
    func existingDataKey(for subject: UUID) async throws -> DataKey?

    /// Destroys the keys and records a tombstone for each, in one durable step; destroying twice
    /// is harmless. Returns how many keys existed.
    @discardableResult
    func destroyDataKeys(of subjects: [UUID], reason: String) async throws -> Int

    /// Re-wraps every data key under `newKey` (the content stays as it is); returns how many.
    func rewrapAll(to newKey: KeyEncryptionKey) async throws -> Int
}

public enum KeyStoreError: Error, Equatable, CustomStringConvertible {
    /// The person's key was destroyed (erasure or purge): their content can never be read again.
    case destroyed(UUID)
    /// A stored key was wrapped by another key-encryption key than the one configured.
    case wrongKeyEncryptionKey(expected: String, found: String)
    /// A stored key did not unwrap (tampered, or copied to another person's row).
    case corrupt(UUID)

    public var description: String {
        switch self {
        case .destroyed(let subject): "the content key of \(subject) was destroyed"
        case .wrongKeyEncryptionKey(let expected, let found):
            "the key store's data keys are wrapped by key-encryption key \(found), but the configured one is \(expected): "
                + "set SWITCHBOARD_KEK or SWITCHBOARD_KEK_FILE to the key in use (or finish an interrupted `switchboard keys rotate`)"
        case .corrupt(let subject): "the stored content key of \(subject) does not unwrap"
        }
    }
}
