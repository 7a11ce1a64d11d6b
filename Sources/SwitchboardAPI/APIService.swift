package import Foundation
import Logging
package import OpenAPIRuntime
import PostgresNIO
import SwitchboardStore

/// The implementation of every operation in `openapi.yaml`.
package struct APIService: APIProtocol {
    let database: PostgresClient
    let migrations: MigrationRunner

    package init(database: PostgresClient, migrations: MigrationRunner) {
        self.database = database
        self.migrations = migrations
    }

    package func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    package func getReady(_ input: Operations.GetReady.Input) async throws -> Operations.GetReady.Output {
        let logger = RequestInfo.current.logger
        let status: MigrationStatus
        do {
            status = try await withTimeout(.seconds(3)) {
                try await database.withConnection { connection in
                    try await migrations.status(on: connection, logger: logger)
                }
            }
        } catch let error as MigrationError {
            logger.error("not ready: migrations do not match this build", metadata: ["error": "\(error)"])
            throw Problem.serviceUnavailable("The database's migrations do not match this build.")
        } catch {
            logger.warning("not ready: database unreachable", metadata: ["error": "\(String(reflecting: error))"])
            throw Problem.serviceUnavailable("The database is not reachable.")
        }
        guard status.isCurrent else {
            throw Problem.serviceUnavailable("\(status.pending.count) migration(s) are not applied yet.")
        }
        return .ok(.init(body: .json(.init(status: .ready, appliedMigrations: status.applied, pendingMigrations: 0))))
    }
}

struct TimeoutError: Error {}

/// Runs `body`, giving up after `limit` (the pool otherwise waits for a connection indefinitely).
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
