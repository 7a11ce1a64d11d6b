import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The batch record in platform.ingest_batches: claims the Idempotency-Key, answers retries,
/// and records the outcome in the batch's own transaction.
struct BatchLedger {
    enum Kind: String { case cdr, telemetry }

    let kind: Kind
    let principal: Principal
    let connection: PostgresConnection
    let logger: Logger

    /// Instants accepted: the kind's retention back (``RetentionPeriod``: 12 months of CDRs, 3 of
    /// telemetry, the months that have partitions) up to a day ahead (clock skew).
    static func acceptedWindow(_ kind: Kind, now: Date) -> ClosedRange<UTCInstant> {
        let instant = UTCInstant(secondsSince1970: now.timeIntervalSince1970)
        let months = kind == .cdr ? RetentionPeriod.trafficDataMonths : RetentionPeriod.telemetryMonths
        return instant.subtracting(months: months)...instant.adding(seconds: 86_400)
    }

    /// Nil when the batch is new; the stored outcome when the key names a batch already stored.
    func claim(_ batchID: UUID, key: String?, retriedBody body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable, maxBodyBytes: Int) async throws -> BatchOutcome? {
        let claimed = try await connection.query(
            """
            INSERT INTO platform.ingest_batches (id, kind, idempotency_key, received_by) VALUES (\(batchID), \(kind.rawValue), \(key), \(principal.id))
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """,
            logger: logger
        ).collect()
        // Only a key can conflict (NULL keys never do).
        guard claimed.isEmpty, let key else { return nil }
        var reader = NDJSONReader(maxBodyBytes: maxBodyBytes)
        for try await chunk in body { try reader.consume(chunk) { _, _ in } }
        let digest = try reader.finish { _, _ in }
        let rows = try await connection.query(
            "SELECT id, kind, records, unknown_numbers, body_sha256 FROM platform.ingest_batches WHERE idempotency_key = \(key)", logger: logger
        )
        for try await (id, storedKind, records, unknown, storedDigest) in rows.decode((UUID, String, Int, Int, Data?).self) {
            guard storedKind == kind.rawValue, storedDigest == digest else { throw BatchRefusal.idempotencyKeyReused }
            return BatchOutcome(batchID: id, records: records, unknownNumbers: unknown, replayed: true)
        }
        throw StoreError.notFound
    }

    func complete(_ batchID: UUID, digest: Data, records: Int, unknownNumbers: Int) async throws -> BatchOutcome {
        try await connection.query(
            """
            UPDATE platform.ingest_batches SET body_sha256 = \(digest), records = \(records), unknown_numbers = \(unknownNumbers)
            WHERE id = \(batchID)
            """,
            logger: logger
        )
        logger.info("batch stored", metadata: ["kind": "\(kind.rawValue)", "batch": "\(batchID)", "records": "\(records)", "unknown_numbers": "\(unknownNumbers)"])
        return BatchOutcome(batchID: batchID, records: records, unknownNumbers: unknownNumbers, replayed: false)
    }

    /// COPY into a platform table; a record whose month has no partition yet refuses the batch.
    static func copy(into table: String, columns: [String], on connection: PostgresConnection, logger: Logger,
                     _ writeData: (PostgresCopyFromWriter) async throws -> Void) async throws {
        // COPY names an unqualified table; the search path is transaction-local like every setting.
        try await connection.query("SELECT set_config('search_path', 'platform', true)", logger: logger)
        do {
            try await connection.copyFrom(table: table, columns: columns, logger: logger, writeData: writeData)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" && error.serverInfo?[.message]?.contains("no partition") == true {
            throw BatchRefusal.partitionMissing
        }
    }
}
