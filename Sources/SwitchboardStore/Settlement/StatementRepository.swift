import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Settlement statements and their notes. The platform (sb_platform) issues them from its rated
/// CDRs; a reseller reads its own (row-level security narrows every read here). Nothing issued is
/// ever changed: the database refuses it (migration 0016), and corrections are notes.
package struct StatementRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    // MARK: issuing

    /// Issues `resellerID`'s statement for `month`: usage lines per customer and CDR kind, recurring
    /// lines when the price list sets a price, VAT on the total. Refused (nothing written) when the
    /// statement exists or the usage lines do not reconcile with the month's usage totals.
    package func issue(resellerID: UUID, month: SettlementMonth, by principal: UUID) async throws -> IssuedStatement {
        // Two issuers of the same reseller-month queue here; the second then finds the first's statement.
        let lockKey = "statement:\(resellerID.uuidString.lowercased()):\(month)"
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
        if let existing = try await existingStatement(resellerID: resellerID, month: month) {
            throw StatementRefusal.alreadyIssued(existing: existing)
        }
        let prices = try await PriceListRepository(connection, logger: logger).get()
        var lines = try await usageLines(resellerID: resellerID, month: month)
        try await reconcile(lines, resellerID: resellerID, month: month)
        lines += try await recurringLines(resellerID: resellerID, month: month, prices: prices)
        lines.sort { ($0.customerID?.uuidString ?? "", $0.order) < ($1.customerID?.uuidString ?? "", $1.order) }
        let statement = try await insert(
            id: TimeOrderedID.make(), resellerID: resellerID, kind: .statement, month: month, corrects: nil, reason: nil,
            currency: prices.currency, vatRate: prices.vatRate, lines: lines, by: principal
        )
        return statement
    }

    /// Issues `month` for every active reseller in one transaction: all or nothing, so a reseller
    /// whose figures do not reconcile stops the run (and is named). Resellers whose statement
    /// exists are skipped.
    package func issueForActiveResellers(month: SettlementMonth, by principal: UUID) async throws -> StatementIssuance {
        let resellers = try await connection.query("SELECT id FROM sb.resellers WHERE status = 'active' ORDER BY id", logger: logger)
            .collect().map { try $0.decode(UUID.self) }
        var result = StatementIssuance()
        for reseller in resellers {
            do {
                result.issued.append(try await issue(resellerID: reseller, month: month, by: principal))
            } catch StatementRefusal.alreadyIssued(let existing) {
                result.skipped.append(.init(resellerID: reseller, statementID: existing))
            }
        }
        return result
    }

    /// A line of a note: an adjustment, optionally about one customer, with a positive amount.
    package struct NoteLine: Sendable {
        package var customerID: UUID?
        package var description: String
        /// Exact decimal text, greater than zero, at most four places.
        package var amount: String

        package init(customerID: UUID?, description: String, amount: String) {
            self.customerID = customerID
            self.description = description
            self.amount = amount
        }
    }

    /// A credit or debit note correcting `statementID`, with the statement's month, currency and
    /// VAT rate. Nil when no such statement is visible.
    package func addNote(to statementID: UUID, kind: StatementKind, reason: String, lines: [NoteLine], by principal: UUID) async throws -> IssuedStatement? {
        guard kind != .statement else { throw StatementRefusal.notAStatement(statementID) }
        guard let original = try await statement(statementID) else { return nil }
        guard original.kind == .statement else { throw StatementRefusal.notAStatement(statementID) }
        let customers = Set(lines.compactMap(\.customerID))
        if !customers.isEmpty {
            let known = Set(try await connection.query(
                "SELECT id FROM sb.customers WHERE reseller_id = \(original.resellerID) AND id = ANY (\(Array(customers)))", logger: logger
            ).collect().map { try $0.decode(UUID.self) })
            if let foreign = lines.firstIndex(where: { $0.customerID.map { !known.contains($0) } ?? false }) {
                throw StatementRefusal.foreignCustomer(line: foreign)
            }
        }
        let drafted = lines.map { DraftLine(customerID: $0.customerID, category: .adjustment, quantity: 1, billedMinutes: nil, amount: $0.amount,
                                            description: $0.description, isUsage: false) }
        return try await insert(
            id: TimeOrderedID.make(), resellerID: original.resellerID, kind: kind, month: original.month, corrects: original.id, reason: reason,
            currency: original.currency, vatRate: original.vatRate, lines: drafted, by: principal
        )
    }

    /// Queues `statement.issued` for the statement's reseller, in this transaction.
    package func announce(_ statementID: UUID) async throws {
        _ = try await connection.query("SELECT sb.announce_statement(\(statementID))", logger: logger).collect()
    }

    // MARK: reading

    package func statement(_ id: UUID) async throws -> StatementRecord? {
        try await connection.query("SELECT \(unescaped: StatementRecord.columns) FROM sb.statements WHERE id = \(id)", logger: logger)
            .collect().first.map(StatementRecord.init(row:))
    }

    /// The statement or note with its lines and the notes that refer to it.
    package func get(_ id: UUID) async throws -> IssuedStatement? {
        guard let statement = try await statement(id) else { return nil }
        let lines = try await connection.query(
            """
            SELECT \(unescaped: StatementLineRecord.columns) FROM sb.statement_lines
            WHERE reseller_id = \(statement.resellerID) AND statement_id = \(id) ORDER BY line_no
            """,
            logger: logger
        ).collect().map(StatementLineRecord.init(row:))
        let notes = try await connection.query(
            """
            SELECT id FROM sb.statements WHERE reseller_id = \(statement.resellerID) AND corrects_statement_id = \(id) ORDER BY issued_at, id
            """,
            logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        return IssuedStatement(statement: statement, lines: lines, notes: notes)
    }

    /// Statements and notes the caller may see, in the order they were issued; the cursor is the
    /// last item's (issue time, id).
    package func list(resellerID: UUID?, month: SettlementMonth?, after cursor: (Date, UUID)?, limit: Int) async throws -> Page<StatementRecord, (Date, UUID)> {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: StatementRecord.columns) FROM sb.statements
            WHERE (\(resellerID)::uuid IS NULL OR reseller_id = \(resellerID))
              AND (\(month?.firstDay)::date IS NULL OR month = \(month?.firstDay)::date)
              AND (\(cursor?.0)::timestamptz IS NULL OR (issued_at, id) > (\(cursor?.0), \(cursor?.1)))
            ORDER BY issued_at, id
            LIMIT \(limit + 1)
            """,
            logger: logger
        ).collect()
        return Page(fetched: try rows.map(StatementRecord.init(row:)), limit: limit) { ($0.issuedAt, $0.id) }
    }

    // MARK: computing

    /// A line before it is numbered and written.
    struct DraftLine: Sendable {
        var customerID: UUID?
        var category: StatementCategory
        var quantity: Int64
        var billedMinutes: Int64?
        var amount: String
        var description: String
        /// Counted in the statement's usage_net (rated CDRs).
        var isUsage: Bool

        /// Lines of one customer appear in the order of ``StatementCategory/allCases``.
        var order: Int { StatementCategory.allCases.firstIndex(of: category)! }
    }

    private func existingStatement(resellerID: UUID, month: SettlementMonth) async throws -> UUID? {
        try await connection.query(
            "SELECT id FROM sb.statements WHERE reseller_id = \(resellerID) AND month = \(month.firstDay)::date AND kind = 'statement'",
            logger: logger
        ).collect().first?.decode(UUID.self)
    }

    /// The month's rated CDRs of the reseller per customer and kind: calls (count and billed
    /// minutes, every started minute), messages, data bytes, and their charge.
    private func usageLines(resellerID: UUID, month: SettlementMonth) async throws -> [DraftLine] {
        let rows = try await connection.query(
            """
            SELECT customer_id, kind, count(*)::bigint,
                   coalesce(sum((coalesce(duration_seconds, 0)::bigint + 59) / 60) FILTER (WHERE kind = 'call'), 0)::bigint,
                   coalesce(sum(bytes), 0)::bigint, sum(charge)::numeric(18, 4)::text
            FROM platform.cdrs
            WHERE reseller_id = \(resellerID) AND customer_id IS NOT NULL
              AND started_at >= (\(month.firstDay)::date)::timestamp AT TIME ZONE 'UTC'
              AND started_at < ((\(month.firstDay)::date + interval '1 month')::timestamp AT TIME ZONE 'UTC')
            GROUP BY customer_id, kind
            ORDER BY customer_id, kind
            """,
            logger: logger
        ).collect()
        return try rows.map { row in
            let (customer, kind, records, minutes, bytes, charge) = try row.decode((UUID, String, Int64, Int64, Int64, String).self)
            let category = StatementCategory(cdrKind: kind)!
            let (quantity, description): (Int64, String) = switch category {
            case .calls: (records, "Calls \(month): \(records) calls, \(minutes) billed minutes")
            case .sms: (records, "SMS \(month): \(records) messages")
            default: (bytes, "Data \(month): \(bytes) bytes in \(records) sessions")
            }
            return DraftLine(customerID: customer, category: category, quantity: quantity, billedMinutes: category == .calls ? minutes : nil,
                             amount: charge, description: description, isUsage: true)
        }
    }

    /// The statement must say what the usage totals say: the same charge to the last decimal, and
    /// the same calls, billed minutes, messages and bytes. Otherwise a CDR was attributed or
    /// rated differently in the two places, and the statement would charge the wrong amount.
    private func reconcile(_ lines: [DraftLine], resellerID: UUID, month: SettlementMonth) async throws {
        let row = try await connection.query(
            """
            WITH statement AS (
                SELECT coalesce(sum(a), 0)::numeric(18, 4) AS charge FROM unnest(\(lines.map(\.amount))::numeric[]) AS a),
            totals AS (
                SELECT coalesce(sum(charge), 0)::numeric(18, 4) AS charge, coalesce(sum(calls), 0)::bigint AS calls,
                       coalesce(sum(billed_minutes), 0)::bigint AS minutes, coalesce(sum(sms), 0)::bigint AS sms,
                       coalesce(sum(data_bytes), 0)::bigint AS bytes
                FROM sb.usage_monthly WHERE reseller_id = \(resellerID) AND month = \(month.firstDay)::date)
            SELECT statement.charge::text, totals.charge::text, statement.charge = totals.charge, totals.calls, totals.minutes, totals.sms, totals.bytes
            FROM statement, totals
            """,
            logger: logger
        ).collect()[0]
        let (fromRecords, fromTotals, chargesAgree, calls, minutes, sms, bytes) = try row.decode((String, String, Bool, Int64, Int64, Int64, Int64).self)
        func sum(_ category: StatementCategory, _ value: (DraftLine) -> Int64) -> Int64 {
            lines.filter { $0.category == category }.map(value).reduce(0, +)
        }
        let quantitiesAgree = sum(.calls, \.quantity) == calls && sum(.calls) { $0.billedMinutes ?? 0 } == minutes
            && sum(.sms, \.quantity) == sms && sum(.data, \.quantity) == bytes
        guard chargesAgree, quantitiesAgree else {
            throw StatementRefusal.unreconciled(month: month, fromRecords: fromRecords, usageTotals: fromTotals)
        }
    }

    /// Numbers and SIM cards each customer held at any time in the month, at the price list's
    /// monthly prices; none where no price is set.
    private func recurringLines(resellerID: UUID, month: SettlementMonth, prices: PriceList) async throws -> [DraftLine] {
        guard prices.numberMonthly != nil || prices.simMonthly != nil else { return [] }
        let rows = try await connection.query(
            """
            SELECT h.customer_id, h.numbers, h.sims,
                   (h.numbers * \(prices.numberMonthly)::numeric)::numeric(18, 4)::text, (h.sims * \(prices.simMonthly)::numeric)::numeric(18, 4)::text
            FROM platform.recurring_holdings(\(resellerID), \(month.firstDay)::date) h
            """,
            logger: logger
        ).collect()
        var lines: [DraftLine] = []
        for row in rows {
            let (customer, numbers, sims, numberAmount, simAmount) = try row.decode((UUID, Int64, Int64, String?, String?).self)
            if let numberAmount, let price = prices.numberMonthly, numbers > 0 {
                lines.append(DraftLine(customerID: customer, category: .numberRental, quantity: numbers, billedMinutes: nil, amount: numberAmount,
                                       description: "Number rental \(month): \(numbers) numbers at \(price) \(prices.currency)", isUsage: false))
            }
            if let simAmount, let price = prices.simMonthly, sims > 0 {
                lines.append(DraftLine(customerID: customer, category: .simRental, quantity: sims, billedMinutes: nil, amount: simAmount,
                                       description: "SIM rental \(month): \(sims) SIM cards at \(price) \(prices.currency)", isUsage: false))
            }
        }
        return lines
    }

    /// Writes the header with its totals (VAT rounded to the øre on the net, as declared) and then
    /// its lines, numbered in order, in this one transaction.
    private func insert(id: UUID, resellerID: UUID, kind: StatementKind, month: SettlementMonth, corrects: UUID?, reason: String?,
                        currency: String, vatRate: String, lines: [DraftLine], by principal: UUID) async throws -> IssuedStatement {
        let header = try await connection.query(
            """
            INSERT INTO sb.statements (reseller_id, id, kind, month, corrects_statement_id, reason, currency, net, vat_rate, vat, gross, usage_net, issued_by)
            SELECT \(resellerID), \(id), \(kind.rawValue), \(month.firstDay)::date, \(corrects), \(reason), \(currency),
                   t.net, r.rate, round(t.net * r.rate, 2), t.net + round(t.net * r.rate, 2), t.usage_net, \(principal)
            FROM (SELECT coalesce(sum(a), 0)::numeric(18, 4) AS net, coalesce(sum(a) FILTER (WHERE u), 0)::numeric(18, 4) AS usage_net
                  FROM unnest(\(lines.map(\.amount))::numeric[], \(lines.map(\.isUsage))::boolean[]) AS l(a, u)) t,
                 (SELECT \(vatRate)::numeric(5, 4) AS rate) r
            RETURNING \(unescaped: StatementRecord.columns)
            """,
            logger: logger
        ).collect()
        let statement = try StatementRecord(row: header[0])
        // Multi-row VALUES (see MultiRowInsert): Citus copies an INSERT … SELECT from arrays in, and
        // its COPY refuses tables under row-level security.
        try await MultiRowInsert(
            table: "sb.statement_lines",
            columns: ["reseller_id", "statement_id", "line_no", "customer_id", "category", "quantity", "unit", "billed_minutes", "amount", "description"],
            casts: ["amount": "numeric"]
        ).run(Array(lines.enumerated()), on: connection, logger: logger) { numbered, row in
            let (index, line) = numbered
            row.append(resellerID)
            row.append(id)
            row.append(Int32(index + 1))
            row.append(line.customerID)
            row.append(line.category.rawValue)
            row.append(line.quantity)
            row.append(line.category.unit)
            row.append(line.billedMinutes)
            row.append(line.amount)
            row.append(line.description)
        }
        return try await get(statement.id)!
    }
}
