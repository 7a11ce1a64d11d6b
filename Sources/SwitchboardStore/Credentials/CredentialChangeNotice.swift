import Logging
import PostgresNIO

/// Announces on ``CredentialChangeListener/channel`` that a credential may have stopped being
/// valid, from the changing transaction itself (delivered at its commit; PostgreSQL folds the
/// repeats of one transaction into one notice).
///
/// On plain PostgreSQL the tables' triggers (migration 0007) announce every such change, whoever
/// makes it. On Citus those triggers fire on the workers, where a NOTIFY cannot take part in the
/// distributed commit and no replica listens (migration 0028 keeps them quiet there), so the
/// statements that end a credential announce it here as well; what only raw SQL changes on a
/// cluster reaches the replicas when their cache entries expire (``CredentialCache/lifetime``).
enum CredentialChangeNotice {
    static func announce(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(CredentialChangeListener.channel), '')", logger: logger)
    }
}
