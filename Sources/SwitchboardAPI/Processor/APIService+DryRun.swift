import PostgresNIO
import SwitchboardDomain

/// Carries a dry run's answer out of its transaction: throwing it rolls back everything the run
/// did (audit entries included), so a dry run takes the very path a real one takes and changes nothing.
struct DryRunRollback<Result: Sendable>: Error {
    let result: Result
}

extension APIService {
    /// The request's transaction; with `dryRun`, the same work rolled back and its answer returned.
    func transaction<T: Sendable>(dryRun: Bool, _ body: (Principal, PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await transaction { principal, connection in
                let result = try await body(principal, connection)
                if dryRun { throw DryRunRollback(result: result) }
                return result
            }
        } catch let rollback as DryRunRollback<T> {
            return rollback.result
        }
    }
}
