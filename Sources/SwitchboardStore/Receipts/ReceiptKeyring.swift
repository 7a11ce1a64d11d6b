import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The platform's receipt-signing keys. Each private key is a data key in the key store (so it is
/// wrapped by the KEK and re-wrapped by `switchboard keys rotate`); the main database holds only
/// the public keys, current and retired, so every receipt ever issued stays verifiable.
package final class ReceiptKeyring: Sendable {
    let keys: any KeyStore
    private let cached = Mutex<ReceiptSigningKey?>(nil)

    package init(keys: any KeyStore) {
        self.keys = keys
    }

    /// A published public key.
    package struct PublicKey: Sendable, Equatable {
        package let keyID: UUID
        package let publicKey: [UInt8]
        package let createdAt: Date
        package let retiredAt: Date?
    }

    /// The key that signs now, made on first use (the first registration wins a race).
    package func currentSigner(on connection: PostgresConnection, logger: Logger) async throws -> ReceiptSigningKey {
        let current = try await connection.query(
            "SELECT key_id FROM sb.receipt_signing_keys WHERE retired_at IS NULL", logger: logger
        ).collect().first?.decode(UUID.self)
        if let current {
            if let key = cached.withLock({ $0 }), key.keyID == current { return key }
            return try await load(current)
        }
        let candidate = UUID()
        let made = try ReceiptSigningKey(keyID: candidate, seed: try await keys.dataKey(for: candidate).derivedBytes(purpose: ReceiptSigningKey.seedPurpose))
        let chosen = try await connection.query(
            "SELECT sb.register_first_receipt_key(\(candidate), \(Data(made.publicKey)))", logger: logger
        ).collect().first?.decode(UUID.self) ?? candidate
        if chosen == candidate {
            cached.withLock { $0 = made }
            return made
        }
        _ = try await keys.destroyDataKeys(of: [candidate], reason: "receipt signing key lost the first-registration race")
        return try await load(chosen)
    }

    /// Every key that signed or signs receipts, newest first.
    package static func publicKeys(on connection: PostgresConnection, logger: Logger) async throws -> [PublicKey] {
        try await connection.query(
            "SELECT key_id, public_key, created_at, retired_at FROM sb.receipt_signing_keys ORDER BY created_at DESC, key_id",
            logger: logger
        ).collect().map { row in
            let (id, key, created, retired) = try row.decode((UUID, Data, Date, Date?).self)
            return PublicKey(keyID: id, publicKey: Array(key), createdAt: created, retiredAt: retired)
        }
    }

    /// Retires the current key and makes a new one (as the database owner: `switchboard receipt
    /// rotate-key`). Receipts signed before stay verifiable under the retired key.
    package static func rotate(keys: any KeyStore, on connection: PostgresConnection, logger: Logger) async throws -> PublicKey {
        let id = UUID()
        let key = try ReceiptSigningKey(keyID: id, seed: try await keys.dataKey(for: id).derivedBytes(purpose: ReceiptSigningKey.seedPurpose))
        // One transaction as the tables' owner: there is never a moment without a current key.
        let retired: [UUID]
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SET LOCAL ROLE sb_owner", logger: logger)
            retired = try await connection.query(
                "UPDATE sb.receipt_signing_keys SET retired_at = now() WHERE retired_at IS NULL RETURNING key_id", logger: logger
            ).collect().map { try $0.decode(UUID.self) }
            try await connection.query(
                "INSERT INTO sb.receipt_signing_keys (key_id, public_key) VALUES (\(id), \(Data(key.publicKey)))", logger: logger
            )
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        // A retired key never signs again: its private half goes (its public half stays published).
        try await keys.destroyDataKeys(of: retired, reason: "receipt signing key retired")
        return PublicKey(keyID: id, publicKey: key.publicKey, createdAt: Date(), retiredAt: nil)
    }

    private func load(_ keyID: UUID) async throws -> ReceiptSigningKey {
        guard let seed = try await keys.existingDataKey(for: keyID) else { throw ReceiptKeyMissing(keyID: keyID) }
        let key = try ReceiptSigningKey(keyID: keyID, seed: seed.derivedBytes(purpose: ReceiptSigningKey.seedPurpose))
        cached.withLock { $0 = key }
        return key
    }
}

/// The current signing key's private half is not in the key store (a key store restored from
/// before the key was made, or another key store): receipts cannot be signed.
package struct ReceiptKeyMissing: Error, CustomStringConvertible {
    package let keyID: UUID
    package var description: String {
        "the receipt signing key \(keyID) is not in the key store; restore the key store, or run `switchboard receipt rotate-key` to start a new key"
    }
}
