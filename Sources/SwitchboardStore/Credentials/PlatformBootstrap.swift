import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The platform's first admin credential, created on first start with an empty database.
public enum PlatformBootstrap {
    public enum Outcome: Sendable, Equatable {
        /// A platform key already existed; nothing was created.
        case alreadyBootstrapped
        /// The operator's `SWITCHBOARD_BOOTSTRAP_TOKEN` became the admin key.
        case adoptedToken
        /// A key was generated; its secret must be shown to the operator once.
        case generated(secret: String)
    }

    static let lockKey: Int64 = 0x5357_424F_4F54  // "SWBOOT": replicas starting together create one key

    public struct TokenTooShort: Error, CustomStringConvertible {
        public var description: String {
            "SWITCHBOARD_BOOTSTRAP_TOKEN must be at least \(Credentials.minimumAdoptedLength) characters (it becomes the platform admin's API key)."
        }
    }

    /// Checked before anything starts, so a server never reports ready without the admin key it was given.
    public static func validate(token: String?) throws {
        if let token, !token.isEmpty, token.count < Credentials.minimumAdoptedLength { throw TokenTooShort() }
    }

    public static func ensureAdminKey(database: ScopedDatabase, token: String?, logger: Logger) async throws -> Outcome {
        try validate(token: token)
        let keyID = TimeOrderedID.make()
        // The new key is the principal of its own creation, so the audit trail names it.
        let principal = Principal.platformKey(keyID)
        return try await database.transaction(.principal(principal), logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            let keys = APIKeyRepository(connection, logger: logger)
            guard try await !keys.platformKeyExists() else { return .alreadyBootstrapped }
            let secret: IssuedSecret
            if let token, !token.isEmpty {
                secret = Credentials.adopt(token)
            } else {
                secret = Credentials.issue(.platformKey)
            }
            _ = try await keys.create(id: keyID, resellerID: nil, name: "bootstrap admin", secret: secret, createdBy: nil)
            try await AuditLog.append(
                AuditEntry(action: "api_key.bootstrap", targetID: keyID, fields: ["name"], resellerID: nil),
                by: principal, on: connection, logger: logger
            )
            if let token, !token.isEmpty { return .adoptedToken }
            return .generated(secret: secret.secret)
        }
    }
}
