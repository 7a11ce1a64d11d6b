import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Carries out the vacuums erasure asked for (`platform.vacuum_requests`), as the tables' owner
/// (an application role may not vacuum): `VACUUM (FULL)` for the tables holding people's values,
/// because a plain VACUUM leaves some of the old bytes in the pages' free space; a plain `VACUUM`
/// for content, whose bytes are sealed. A short lock timeout keeps a rewrite from queueing
/// traffic behind it; a request that could not get its lock waits for the next run.
struct ErasureVacuum: Sendable {
    let target: DatabaseTarget
    var lockTimeout = "2s"

    func run(dryRun: Bool, logger: Logger) async throws -> RetentionRuleReport {
        try await target.withAdminConnection(logger: logger) { connection in
            let requests = try await connection.query(
                "SELECT relation, rewrite FROM platform.vacuum_requests ORDER BY relation", logger: logger
            ).collect().map { try $0.decode((String, Bool).self) }
            if dryRun {
                return RetentionRuleReport(affected: Int64(requests.count), note: requests.isEmpty ? nil : requests.map(\.0).joined(separator: ", "))
            }
            try await connection.query(PostgresQuery(unsafeSQL: "SET lock_timeout = '\(lockTimeout)'"), logger: logger)
            var done: [String] = [], waiting: [String] = []
            for (relation, rewrite) in requests {
                // The name came from sb.request_erasure_vacuum's fixed list; checked again before it is spliced in.
                guard RetentionPolicy.tableClasses[relation] != nil, relation.wholeMatch(of: /sb\.[a-z_]+/) != nil else { continue }
                do {
                    // As text, so the instant survives the round trip exactly: requests made while
                    // the vacuum runs stay for the next run.
                    let startedAt = try await connection.query("SELECT clock_timestamp()::text", logger: logger).collect().first!.decode(String.self)
                    try await connection.query(PostgresQuery(unsafeSQL: "VACUUM (\(rewrite ? "FULL, " : "")ANALYZE) \(relation)"), logger: logger)
                    try await connection.query(
                        "DELETE FROM platform.vacuum_requests WHERE relation = \(relation) AND requested_at <= \(startedAt)::timestamptz", logger: logger
                    )
                    done.append(relation)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
                    waiting.append(relation)  // lock_not_available: busy; next run
                }
            }
            if !done.isEmpty {
                // ANALYZE keeps samples of column values in pg_statistic; the vacuums above replaced
                // them with samples of what is left, and the rewrite of the catalog drops the old
                // ones. Only a superuser may rewrite it: elsewhere the old samples go with the
                // catalog's own vacuum.
                _ = try? await connection.query("VACUUM (FULL) pg_catalog.pg_statistic", logger: logger)
            }
            var note = done.isEmpty ? "" : "vacuumed \(done.joined(separator: ", "))"
            if !waiting.isEmpty { note += (note.isEmpty ? "" : "; ") + "waiting for a lock: \(waiting.joined(separator: ", "))" }
            return RetentionRuleReport(affected: Int64(done.count), note: note.isEmpty ? nil : note)
        }
    }
}
