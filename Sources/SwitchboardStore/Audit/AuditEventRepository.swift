import Foundation
import Logging
import PostgresNIO

/// Reads the audit trail through the caller's eyes: a reseller its tenant's entries, a manager
/// its company's, the platform its own (the policies decide; these queries add the filters).
package struct AuditEventRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    package struct Filter: Sendable {
        package var from: Date?
        package var to: Date?
        package var action: String?
        package var targetID: UUID?
        /// Leaves out entries whose action starts with this (lawful disclosure, for platform staff without the legal duty).
        package var hiddenActionPrefix: String?

        package init(from: Date? = nil, to: Date? = nil, action: String? = nil, targetID: UUID? = nil, hiddenActionPrefix: String? = nil) {
            self.from = from
            self.to = to
            self.action = action
            self.targetID = targetID
            self.hiddenActionPrefix = hiddenActionPrefix
        }
    }

    /// Entries oldest first; the cursor names the last entry read (its chain and place in it), whose
    /// time is looked up exactly rather than carried through the client.
    package func list(_ filter: Filter, after cursor: AuditEventCursor?, limit: Int) async throws -> Page<AuditEventRecord, AuditEventCursor> {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: AuditEventRecord.columns) FROM sb.audit_events
            WHERE (\(filter.from)::timestamptz IS NULL OR occurred_at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR occurred_at < \(filter.to))
              AND (\(filter.action)::text IS NULL OR action = \(filter.action))
              AND (\(filter.targetID)::uuid IS NULL OR target_id = \(filter.targetID))
              AND (\(filter.hiddenActionPrefix)::text IS NULL OR NOT starts_with(action, \(filter.hiddenActionPrefix)))
              AND (\(cursor?.chain)::text IS NULL OR (occurred_at, chain, seq) > (
                   SELECT c.occurred_at, c.chain, c.seq FROM sb.audit_events c WHERE c.chain = \(cursor?.chain) AND c.seq = \(cursor?.seq)))
            ORDER BY occurred_at, chain, seq
            LIMIT \(limit + 1)
            """,
            logger: logger
        ).collect()
        return Page(fetched: try rows.map(AuditEventRecord.init(row:)), limit: limit) {
            AuditEventCursor(chain: $0.chain, seq: $0.seq)
        }
    }
}

/// Where a page of the audit trail ends.
package struct AuditEventCursor: Sendable, Equatable {
    package let chain: String
    package let seq: Int64

    package init(chain: String, seq: Int64) {
        self.chain = chain
        self.seq = seq
    }
}
