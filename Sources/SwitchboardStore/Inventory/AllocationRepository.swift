import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The platform's side of the inventory: number blocks and SIM batches allocated to resellers,
/// reclaimed when unassigned, and how much of each reseller's stock is in use. It reads states
/// and customers, never who holds a value (that link is processor scope).
public struct AllocationRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }


    // MARK: numbers

    /// Allocates `numbers` (in request order) to the reseller as one block, all or none:
    /// throws ``AllocationConflict`` naming every number some reseller holds already.
    public func allocateNumbers(_ numbers: [String], firstNumber: String?, to resellerID: UUID, blockID: UUID, by principalID: UUID, now: Date) async throws -> NumberBlockRecord {
        let taken = try await connection.query("SELECT number FROM sb.number_registry WHERE number = ANY(\(numbers))", logger: logger)
            .collect().map { try $0.decode(String.self) }
        try Self.refuseTaken(Set(taken), in: numbers, field: "numbers")
        // The platform-wide registry first: a concurrent allocation of the same number loses on its
        // primary key (a 409 as well). The stock rows reference these entries.
        try await MultiRowInsert(table: "sb.number_registry", columns: ["number", "reseller_id"])
            .run(numbers, on: connection, logger: logger) { number, row in
                row.append(number)
                row.append(resellerID)
            }
        try await connection.query(
            """
            INSERT INTO sb.number_blocks (reseller_id, id, first_number, count, allocated_by, allocated_at)
            VALUES (\(resellerID), \(blockID), \(firstNumber), \(numbers.count), \(principalID), \(now))
            """,
            logger: logger
        )
        try await MultiRowInsert(table: "sb.stock_numbers", columns: ["reseller_id", "number", "block_id", "changed_at"])
            .run(numbers, on: connection, logger: logger) { number, row in
                row.append(resellerID)
                row.append(number)
                row.append(blockID)
                row.append(now)
            }
        return NumberBlockRecord(id: blockID, resellerID: resellerID, firstNumber: firstNumber, count: numbers.count, allocatedAt: now,
                                 stock: { var counts = NumberStockCounts(); counts.available = numbers.count; return counts }())
    }

    /// Duplicates within the request count as taken too (the second occurrence is named).
    static func refuseTaken(_ taken: Set<String>, in values: [String], field: String) throws {
        var seen: Set<String> = []
        var fields: [String] = []
        for (index, value) in values.enumerated() where taken.contains(value) || !seen.insert(value).inserted {
            fields.append("\(field)/\(index)")
        }
        if !fields.isEmpty { throw AllocationConflict(fields: fields) }
    }

    public func numberBlocks(of resellerID: UUID, after cursor: UUID?, limit: Int, now: Date) async throws -> Page<NumberBlockRecord, UUID> {
        let rows = try await connection.query(
            """
            SELECT b.id, b.reseller_id, b.first_number, b.count, b.allocated_at, c.available, c.assigned, c.quarantined
            FROM sb.number_blocks b
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE s.state = 'available' OR (s.state = 'quarantined' AND s.quarantined_until <= \(now))) AS available,
                       count(*) FILTER (WHERE s.state = 'assigned') AS assigned,
                       count(*) FILTER (WHERE s.state = 'quarantined' AND s.quarantined_until > \(now)) AS quarantined
                FROM sb.stock_numbers s WHERE s.reseller_id = b.reseller_id AND s.block_id = b.id) c
            WHERE b.reseller_id = \(resellerID) AND (\(cursor)::uuid IS NULL OR b.id > \(cursor))
            ORDER BY b.id LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var records: [NumberBlockRecord] = []
        for try await row in rows.decode((UUID, UUID, String?, Int, Date, Int, Int, Int).self) {
            var counts = NumberStockCounts()
            (counts.available, counts.assigned, counts.quarantined) = (row.5, row.6, row.7)
            records.append(NumberBlockRecord(id: row.0, resellerID: row.1, firstNumber: row.2, count: row.3, allocatedAt: row.4, stock: counts))
        }
        return Page(fetched: records, limit: limit, key: \.id)
    }

    /// Takes the block's available numbers (including those whose quarantine has ended) back;
    /// nil when the reseller has no such block.
    public func reclaimNumberBlock(_ blockID: UUID, of resellerID: UUID, now: Date) async throws -> (reclaimed: Int, kept: Int)? {
        guard try await connection.query(
            "SELECT 1 FROM sb.number_blocks WHERE reseller_id = \(resellerID) AND id = \(blockID)", logger: logger
        ).collect().isEmpty == false else { return nil }
        let reclaimed = try await connection.query(
            """
            DELETE FROM sb.stock_numbers
            WHERE reseller_id = \(resellerID) AND block_id = \(blockID)
              AND (state = 'available' OR (state = 'quarantined' AND quarantined_until <= \(now)))
            RETURNING number
            """,
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        try await connection.query(
            "DELETE FROM sb.number_registry WHERE reseller_id = \(resellerID) AND number = ANY(\(reclaimed))", logger: logger
        )
        let kept = try await connection.query(
            "SELECT count(*) FROM sb.stock_numbers WHERE reseller_id = \(resellerID) AND block_id = \(blockID)", logger: logger
        ).collect().first!.decode(Int.self)
        return (reclaimed.count, kept)
    }

    // MARK: SIM cards

    /// Allocates `iccids` to the reseller as one batch, all or none: throws
    /// ``AllocationConflict`` naming every ICCID some reseller holds already.
    public func allocateSIMs(_ iccids: [String], to resellerID: UUID, batchID: UUID, by principalID: UUID, now: Date) async throws -> SIMBatchRecord {
        let taken = try await connection.query("SELECT iccid FROM sb.sim_registry WHERE iccid = ANY(\(iccids))", logger: logger)
            .collect().map { try $0.decode(String.self) }
        try Self.refuseTaken(Set(taken), in: iccids, field: "iccids")
        try await MultiRowInsert(table: "sb.sim_registry", columns: ["iccid", "reseller_id"])
            .run(iccids, on: connection, logger: logger) { iccid, row in
                row.append(iccid)
                row.append(resellerID)
            }
        try await connection.query(
            """
            INSERT INTO sb.sim_batches (reseller_id, id, count, allocated_by, allocated_at)
            VALUES (\(resellerID), \(batchID), \(iccids.count), \(principalID), \(now))
            """,
            logger: logger
        )
        try await MultiRowInsert(table: "sb.stock_sims", columns: ["reseller_id", "iccid", "batch_id", "changed_at"])
            .run(iccids, on: connection, logger: logger) { iccid, row in
                row.append(resellerID)
                row.append(iccid)
                row.append(batchID)
                row.append(now)
            }
        return SIMBatchRecord(id: batchID, resellerID: resellerID, count: iccids.count, allocatedAt: now,
                              stock: { var counts = SIMStockCounts(); counts.available = iccids.count; return counts }())
    }

    public func simBatches(of resellerID: UUID, after cursor: UUID?, limit: Int) async throws -> Page<SIMBatchRecord, UUID> {
        let rows = try await connection.query(
            """
            SELECT b.id, b.reseller_id, b.count, b.allocated_at, c.available, c.assigned, c.lost, c.stolen
            FROM sb.sim_batches b
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE s.state = 'available') AS available, count(*) FILTER (WHERE s.state = 'assigned') AS assigned,
                       count(*) FILTER (WHERE s.state = 'lost') AS lost, count(*) FILTER (WHERE s.state = 'stolen') AS stolen
                FROM sb.stock_sims s WHERE s.reseller_id = b.reseller_id AND s.batch_id = b.id) c
            WHERE b.reseller_id = \(resellerID) AND (\(cursor)::uuid IS NULL OR b.id > \(cursor))
            ORDER BY b.id LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var records: [SIMBatchRecord] = []
        for try await row in rows.decode((UUID, UUID, Int, Date, Int, Int, Int, Int).self) {
            var counts = SIMStockCounts()
            (counts.available, counts.assigned, counts.lost, counts.stolen) = (row.4, row.5, row.6, row.7)
            records.append(SIMBatchRecord(id: row.0, resellerID: row.1, count: row.2, allocatedAt: row.3, stock: counts))
        }
        return Page(fetched: records, limit: limit, key: \.id)
    }

    /// Takes the batch's available SIM cards back; lost and stolen ones stay on record. Nil when
    /// the reseller has no such batch.
    public func reclaimSIMBatch(_ batchID: UUID, of resellerID: UUID) async throws -> (reclaimed: Int, kept: Int)? {
        guard try await connection.query(
            "SELECT 1 FROM sb.sim_batches WHERE reseller_id = \(resellerID) AND id = \(batchID)", logger: logger
        ).collect().isEmpty == false else { return nil }
        let reclaimed = try await connection.query(
            "DELETE FROM sb.stock_sims WHERE reseller_id = \(resellerID) AND batch_id = \(batchID) AND state = 'available' RETURNING iccid",
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        try await connection.query(
            "DELETE FROM sb.sim_registry WHERE reseller_id = \(resellerID) AND iccid = ANY(\(reclaimed))", logger: logger
        )
        let kept = try await connection.query(
            "SELECT count(*) FROM sb.stock_sims WHERE reseller_id = \(resellerID) AND batch_id = \(batchID)", logger: logger
        ).collect().first!.decode(Int.self)
        return (reclaimed.count, kept)
    }

    // MARK: utilisation

    /// Every reseller holding stock, with its numbers and SIM cards per state at `now`.
    public func utilisation(now: Date) async throws -> [ResellerUtilisation] {
        let rows = try await connection.query(
            """
            SELECT r.id, coalesce(n.available, 0), coalesce(n.assigned, 0), coalesce(n.quarantined, 0),
                   coalesce(s.available, 0), coalesce(s.assigned, 0), coalesce(s.lost, 0), coalesce(s.stolen, 0)
            FROM sb.resellers r
            LEFT JOIN (
                SELECT reseller_id,
                       count(*) FILTER (WHERE state = 'available' OR (state = 'quarantined' AND quarantined_until <= \(now))) AS available,
                       count(*) FILTER (WHERE state = 'assigned') AS assigned,
                       count(*) FILTER (WHERE state = 'quarantined' AND quarantined_until > \(now)) AS quarantined
                FROM sb.stock_numbers GROUP BY reseller_id) n ON n.reseller_id = r.id
            LEFT JOIN (
                SELECT reseller_id, count(*) FILTER (WHERE state = 'available') AS available, count(*) FILTER (WHERE state = 'assigned') AS assigned,
                       count(*) FILTER (WHERE state = 'lost') AS lost, count(*) FILTER (WHERE state = 'stolen') AS stolen
                FROM sb.stock_sims GROUP BY reseller_id) s ON s.reseller_id = r.id
            WHERE n.reseller_id IS NOT NULL OR s.reseller_id IS NOT NULL
            ORDER BY r.id
            """,
            logger: logger
        )
        var result: [ResellerUtilisation] = []
        for try await row in rows.decode((UUID, Int, Int, Int, Int, Int, Int, Int).self) {
            var numbers = NumberStockCounts(), sims = SIMStockCounts()
            (numbers.available, numbers.assigned, numbers.quarantined) = (row.1, row.2, row.3)
            (sims.available, sims.assigned, sims.lost, sims.stolen) = (row.4, row.5, row.6, row.7)
            result.append(ResellerUtilisation(resellerID: row.0, numbers: numbers, sims: sims))
        }
        return result
    }
}
