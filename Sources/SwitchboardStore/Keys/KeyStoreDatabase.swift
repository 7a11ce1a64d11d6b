import Foundation
import Logging
import PostgresNIO

/// The embedded key store's database and pool, opened at start.
public struct KeyStoreDatabase: Sendable {
    /// Run it (`client.run()`, or as a service) before using ``store``.
    public let client: PostgresClient
    public let store: PostgresKeyStore

    /// The suffix of the key store's database beside the main one (`switchboard_keys`).
    public static let databaseSuffix = "_keys"

    /// With `url`, that database as its user; otherwise `<main database>_keys` on the main
    /// database's server, made when missing and used as the server's login role (`sb_app`).
    /// Its tables are made (as the admin) when missing; throws ``KeyStoreError/wrongKeyEncryptionKey``
    /// when the stored keys were wrapped by another key-encryption key than `kek`.
    public static func open(placement: DatabasePlacement, url: String?, applicationPassword: String?, kek: KeyEncryptionKey,
                            maxConnections: Int, logger: Logger) async throws -> KeyStoreDatabase {
        let target: DatabaseTarget
        let user: String, password: String?
        if let url, !url.isEmpty {
            target = try DatabaseTarget(url: url)
            (user, password) = (target.adminUser, target.adminPassword)
        } else {
            var derived = placement.target
            derived.database = placement.target.database + databaseSuffix
            do {
                try await placement.target.withAdminConnection(logger: logger) { connection in
                    try await DatabasePlacement.createDatabaseIfMissing(derived.database, on: connection, logger: logger)
                }
            } catch let error as PSQLError {
                throw KeyStoreSetupError(database: derived.database, reason: PostgresErrorDescription.describe(error))
            }
            target = derived
            (user, password) = (DatabaseTarget.applicationRole, applicationPassword)
        }
        try await target.withAdminConnection(logger: logger) { connection in
            try await PostgresKeyStore.prepare(on: connection, grantTo: user, logger: logger)
            // A server given another key-encryption key stops here, before it serves anything.
            try await PostgresKeyStore.checkKeyEncryptionKey(kek, on: connection, logger: logger)
        }
        var configuration = try target.clientConfiguration(user: user, password: password)
        configuration.options.maximumConnections = maxConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        logger.info("content key store", metadata: ["database": "\(target.redactedDescription)"])
        return KeyStoreDatabase(client: client, store: PostgresKeyStore(client: client, kek: kek, logger: logger))
    }
}

/// The key store's database could not be made beside the main one.
public struct KeyStoreSetupError: Error, CustomStringConvertible {
    public let database: String
    public let reason: String

    public var description: String {
        "could not create the content key store's database \(database) (\(reason)): create it for the migrating user, "
            + "or set SWITCHBOARD_KEYSTORE_URL to a database of its own"
    }
}
