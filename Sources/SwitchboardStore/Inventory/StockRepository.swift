import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// A reseller's stock of numbers and SIM cards as the reseller and its customers' managers use
/// it: list it, take values from it for employees, put them back. Every statement names the
/// reseller explicitly (one tenant's rows, found by their key) and the policies hold it too: a
/// manager sees the unassigned stock and their own company's, never another customer's.
public struct StockRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    // MARK: numbers

    /// Locks the caller's rows of `numbers` until the transaction ends and says which can be taken at `now`.
    public func numberAvailability(_ numbers: [String], resellerID: UUID, now: Date) async throws -> [String: StockAvailability] {
        let rows = try await connection.query(
            """
            SELECT number, state, quarantined_until FROM sb.stock_numbers
            WHERE reseller_id = \(resellerID) AND number = ANY(\(numbers)) FOR UPDATE
            """,
            logger: logger
        )
        var result = Dictionary(uniqueKeysWithValues: Set(numbers).map { ($0, StockAvailability.notInInventory) })
        for try await (number, state, until) in rows.decode((String, NumberState, Date?).self) {
            result[number] = Self.availability(state: state, quarantinedUntil: until, now: now)
        }
        return result
    }

    static func availability(state: NumberState, quarantinedUntil: Date?, now: Date) -> StockAvailability {
        switch state {
        case .available: .available
        case .quarantined: (quarantinedUntil.map { $0 <= now } ?? true) ? .available : .unavailable(state: state.rawValue)
        case .assigned: .unavailable(state: state.rawValue)
        }
    }

    /// Takes each number (named by its request field) from the reseller's stock for the customer,
    /// all or none: throws ``InventoryRefusal`` for the first that cannot be taken.
    public func claimNumbers(_ claims: [(number: String, field: String)], resellerID: UUID, customerID: UUID, use: NumberUse, now: Date) async throws {
        guard !claims.isEmpty else { return }
        let numbers = claims.map(\.number)
        let availability = try await numberAvailability(numbers, resellerID: resellerID, now: now)
        try Self.refuseFirstUnavailable(claims.map { ($0.number, $0.field) }, availability, kind: .number)
        try await takeNumbers(numbers, resellerID: resellerID, customerID: customerID, use: use, now: now)
    }

    /// Marks numbers this transaction found available (``numberAvailability(_:resellerID:now:)``,
    /// which locked their rows) as assigned to the customer, without looking them up again.
    public func takeNumbers(_ numbers: [String], resellerID: UUID, customerID: UUID, use: NumberUse, now: Date) async throws {
        guard !numbers.isEmpty else { return }
        try await connection.query(
            """
            UPDATE sb.stock_numbers SET state = 'assigned', use = \(use), customer_id = \(customerID), quarantined_until = NULL, changed_at = \(now)
            WHERE reseller_id = \(resellerID) AND number = ANY(\(numbers))
            """,
            logger: logger
        )
    }

    /// Puts numbers back into the reseller's stock, quarantined until `rule` says; returns when that ends.
    @discardableResult
    public func quarantineNumbers(_ numbers: [String], resellerID: UUID, rule: QuarantineRule, now: Date) async throws -> Date {
        let until = rule.ends(releasedAt: now)
        guard !numbers.isEmpty else { return until }
        try await connection.query(
            """
            UPDATE sb.stock_numbers SET state = 'quarantined', use = NULL, customer_id = NULL, quarantined_until = \(until), changed_at = \(now)
            WHERE reseller_id = \(resellerID) AND number = ANY(\(numbers))
            """,
            logger: logger
        )
        return until
    }

    /// The caller's numbers in number order, `state` evaluated at `now`, each with its holder.
    public func numbers(resellerID: UUID, state: NumberState?, after cursor: String?, limit: Int, now: Date) async throws -> Page<StockNumberRecord, String> {
        let rows = try await connection.query(
            """
            SELECT s.number, s.effective_state, s.block_id, s.use, s.customer_id, coalesce(a.employee_id, f.employee_id),
                   CASE WHEN s.effective_state = 'quarantined' THEN s.quarantined_until END
            FROM (SELECT *, CASE WHEN state = 'quarantined' AND quarantined_until <= \(now) THEN 'available' ELSE state END AS effective_state
                  FROM sb.stock_numbers WHERE reseller_id = \(resellerID)) s
            LEFT JOIN sb.number_assignments a
                   ON s.use = 'voice' AND a.reseller_id = s.reseller_id AND a.number = s.number AND a.released_at IS NULL
            LEFT JOIN sb.fax_to_mail f ON s.use = 'fax' AND f.reseller_id = s.reseller_id AND f.fax_number = s.number
            WHERE (\(state?.rawValue)::text IS NULL OR s.effective_state = \(state?.rawValue))
              AND (\(cursor)::text IS NULL OR s.number > \(cursor))
            ORDER BY s.number LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var records: [StockNumberRecord] = []
        for try await row in rows.decode((String, NumberState, UUID, NumberUse?, UUID?, UUID?, Date?).self) {
            records.append(StockNumberRecord(number: row.0, state: row.1, blockID: row.2, use: row.3, customerID: row.4, employeeID: row.5, quarantinedUntil: row.6))
        }
        return Page(fetched: records, limit: limit, key: \.number)
    }

    /// Throws for the first claim (in request order) that cannot be taken; a value claimed twice
    /// in one request counts as assigned the second time.
    static func refuseFirstUnavailable(_ claims: [(value: String, field: String)], _ availability: [String: StockAvailability], kind: InventoryRefusal.Kind) throws {
        var seen: Set<String> = []
        for claim in claims {
            switch availability[claim.value] ?? .notInInventory {
            case .notInInventory: throw InventoryRefusal.notInInventory(field: claim.field)
            case .unavailable(let state): throw InventoryRefusal.unavailable(field: claim.field, kind: kind, state: state)
            case .available:
                guard seen.insert(claim.value).inserted else { throw InventoryRefusal.unavailable(field: claim.field, kind: kind, state: "assigned") }
            }
        }
    }

    // MARK: SIM cards

    /// Locks the caller's rows of `iccids` until the transaction ends and says which can be taken.
    public func simAvailability(_ iccids: [String], resellerID: UUID) async throws -> [String: StockAvailability] {
        let rows = try await connection.query(
            "SELECT iccid, state FROM sb.stock_sims WHERE reseller_id = \(resellerID) AND iccid = ANY(\(iccids)) FOR UPDATE",
            logger: logger
        )
        var result = Dictionary(uniqueKeysWithValues: Set(iccids).map { ($0, StockAvailability.notInInventory) })
        for try await (iccid, state) in rows.decode((String, SIMState).self) {
            result[iccid] = state == .available ? .available : .unavailable(state: state.rawValue)
        }
        return result
    }

    /// Takes each SIM card (named by its request field) from the reseller's stock for the
    /// customer, all or none: throws ``InventoryRefusal`` for the first that cannot be taken.
    public func claimSIMs(_ claims: [(iccid: String, field: String)], resellerID: UUID, customerID: UUID, now: Date) async throws {
        guard !claims.isEmpty else { return }
        let iccids = claims.map(\.iccid)
        let availability = try await simAvailability(iccids, resellerID: resellerID)
        try Self.refuseFirstUnavailable(claims.map { ($0.iccid, $0.field) }, availability, kind: .sim)
        try await takeSIMs(iccids, resellerID: resellerID, customerID: customerID, now: now)
    }

    /// Marks SIM cards this transaction found available (``simAvailability(_:resellerID:)``, which
    /// locked their rows) as assigned to the customer, without looking them up again.
    public func takeSIMs(_ iccids: [String], resellerID: UUID, customerID: UUID, now: Date) async throws {
        guard !iccids.isEmpty else { return }
        try await connection.query(
            """
            UPDATE sb.stock_sims SET state = 'assigned', customer_id = \(customerID), changed_at = \(now)
            WHERE reseller_id = \(resellerID) AND iccid = ANY(\(iccids))
            """,
            logger: logger
        )
    }

    /// Returns SIM cards to the reseller's stock as available, or retires them as lost or stolen
    /// (the holding customer stays recorded against a retired card).
    public func releaseSIMs(_ iccids: [String], resellerID: UUID, disposition: SIMDisposition, now: Date) async throws {
        guard !iccids.isEmpty else { return }
        try await connection.query(
            """
            UPDATE sb.stock_sims SET state = \(disposition.state),
                customer_id = CASE WHEN \(disposition.state) = 'available' THEN NULL ELSE customer_id END, changed_at = \(now)
            WHERE reseller_id = \(resellerID) AND iccid = ANY(\(iccids))
            """,
            logger: logger
        )
    }

    /// The caller's SIM cards in ICCID order, each with its holder.
    public func sims(resellerID: UUID, state: SIMState?, after cursor: String?, limit: Int) async throws -> Page<StockSIMRecord, String> {
        let rows = try await connection.query(
            """
            SELECT s.iccid, s.state, s.batch_id, s.customer_id, a.employee_id
            FROM sb.stock_sims s
            LEFT JOIN sb.sim_cards a ON s.state = 'assigned' AND a.reseller_id = s.reseller_id AND a.iccid = s.iccid AND a.released_at IS NULL
            WHERE s.reseller_id = \(resellerID)
              AND (\(state?.rawValue)::text IS NULL OR s.state = \(state?.rawValue))
              AND (\(cursor)::text IS NULL OR s.iccid > \(cursor))
            ORDER BY s.iccid LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var records: [StockSIMRecord] = []
        for try await row in rows.decode((String, SIMState, UUID, UUID?, UUID?).self) {
            records.append(StockSIMRecord(iccid: row.0, state: row.1, batchID: row.2, customerID: row.3, employeeID: row.4))
        }
        return Page(fetched: records, limit: limit, key: \.iccid)
    }
}
