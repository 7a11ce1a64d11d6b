import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import SwitchboardDomain
import XCTest

/// Settlement statements over HTTP: issued from the rated CDRs of a completed month, reconciled
/// with the usage totals to the øre, once per reseller and month, corrected only by notes, and
/// exported as CSV with the same totals.
final class SettlementTests: XCTestCase {
    /// A CDR the test sends, and what it expects the statement to make of it.
    struct SentCDR {
        let kind: String
        let number: String
        let duration: Int?
        let bytes: Int?
        let charge: String
    }

    static let lastMonth = SettlementMonth.containing(Date()).adding(months: -1)

    /// An instant inside last month, `offset` seconds after its 10th day began (UTC).
    static func inLastMonth(_ offset: Int) -> Date {
        ISO8601DateFormatter().date(from: "\(lastMonth)-10T00:00:00Z")!.addingTimeInterval(TimeInterval(offset))
    }

    static func decimal(_ text: Any?) -> Decimal {
        Decimal(string: text as? String ?? "x", locale: Locale(identifier: "en_US_POSIX")) ?? .nan
    }

    /// `value` rounded to `places` decimals, half away from zero (as PostgreSQL's round(numeric) does).
    static func rounded(_ value: Decimal, _ places: Int) -> Decimal {
        var input = value, result = Decimal()
        NSDecimalRound(&result, &input, places, .plain)
        return result
    }

    /// The world's assignments moved 100 days back, so last month's CDRs are attributed to their holders.
    static func backdateAssignments(_ database: TestDatabase) async throws {
        try await database.withAdmin { connection in
            try await connection.query("UPDATE sb.number_assignments SET assigned_at = assigned_at - interval '100 days'", logger: TestCluster.logger)
            try await connection.query("UPDATE sb.sim_cards SET assigned_at = assigned_at - interval '100 days'", logger: TestCluster.logger)
        }
    }

    /// An employee of `customer` holding `number`, created with `key`.
    static func employee(of customer: String, number: String, key: String, extensionNumber: String, _ client: some TestClientProtocol) async throws -> String {
        let created = try await client.call(.post, "/v1/customers/\(customer)/employees", token: key, json: #"{"fullName":"Biller \#(extensionNumber)","extension":"\#(extensionNumber)"}"#)
        let id = try created.string("id")
        let assigned = try await client.call(.post, "/v1/employees/\(id)/numbers", token: key, json: #"{"number":"\#(number)"}"#)
        guard assigned.status == .created else { throw TestFailure("assigning \(number): \(assigned.status.code) \(assigned.body)") }
        return id
    }

    static func post(_ client: some TestClientProtocol, _ cdrs: [SentCDR], at instant: (Int) -> Date) async throws {
        let lines = cdrs.enumerated().map { index, cdr in
            TrafficTests.cdr(cdr.kind, cdr.number, at: instant(index * 60), duration: cdr.duration, bytes: cdr.bytes, charge: cdr.charge)
        }
        let stored = try await TrafficTests.post(client, lines)
        guard stored.status == .created, stored.json["unknownNumbers"] as? Int == 0 else { throw TestFailure("ingest: \(stored.status.code) \(stored.body)") }
    }

    static func issue(_ client: some TestClientProtocol, reseller: String, month: String = lastMonth.description) async throws -> Reply {
        try await client.call(.post, "/v1/platform/statements", token: World.bootstrapToken, json: #"{"resellerId":"\#(reseller)","month":"\#(month)"}"#)
    }

    static func lines(_ statement: Reply) -> [[String: Any]] { statement.json["lines"] as? [[String: Any]] ?? [] }

    func testStatementReconcilesWithUsageTotalsToTheØreAndIsIssuedOnce() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let numberA1 = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            let numberA2 = World.stockA.numbers[SeededStock.firstFree + 40]
            _ = try await Self.employee(of: world.customerA2, number: numberA2, key: world.resellerAKey, extensionNumber: "300", client)
            let numberB = World.stockB.numbers[0]
            _ = try await Self.employee(of: world.customerB1, number: numberB, key: world.resellerBKey, extensionNumber: "400", client)
            try await Self.backdateAssignments(database)

            let sent = [
                SentCDR(kind: "call", number: numberA1, duration: 61, bytes: nil, charge: "0.1234"),
                SentCDR(kind: "call", number: numberA1, duration: 125, bytes: nil, charge: "1.0001"),
                SentCDR(kind: "sms", number: numberA1, duration: nil, bytes: nil, charge: "0.0555"),
                SentCDR(kind: "data", number: numberA1, duration: nil, bytes: 1_500_000, charge: "2.3333"),
                SentCDR(kind: "data", number: numberA1, duration: nil, bytes: 500, charge: "0.0001"),
                SentCDR(kind: "call", number: numberA2, duration: 0, bytes: nil, charge: "0.0000"),
                SentCDR(kind: "sms", number: numberA2, duration: nil, bytes: nil, charge: "0.0777"),
                SentCDR(kind: "call", number: numberB, duration: 30, bytes: nil, charge: "9.9999"),
            ]
            try await Self.post(client, sent, at: Self.inLastMonth)
            // This month's traffic belongs to next month's statement.
            try await Self.post(client, [SentCDR(kind: "call", number: numberA1, duration: 600, bytes: nil, charge: "5.0000")]) { Date().addingTimeInterval(TimeInterval(-120 + $0)) }

            let issued = try await Self.issue(client, reseller: world.resellerA)
            XCTAssertEqual(issued.status, .created, issued.body)
            XCTAssertEqual(issued.json["kind"] as? String, "statement")
            XCTAssertEqual(issued.json["month"] as? String, Self.lastMonth.description)
            let statementID = try issued.string("id")

            // What the test sent, per customer and kind, against the statement's lines.
            let customerOf = [numberA1: world.customerA1, numberA2: world.customerA2]
            let category = ["call": "calls", "sms": "sms", "data": "data"]
            var expected: [String: (quantity: Int, minutes: Int, amount: Decimal)] = [:]
            for cdr in sent where customerOf[cdr.number] != nil {
                let key = "\(customerOf[cdr.number]!)/\(category[cdr.kind]!)"
                var entry = expected[key] ?? (0, 0, 0)
                entry.quantity += cdr.kind == "data" ? cdr.bytes! : 1
                entry.minutes += cdr.kind == "call" ? (cdr.duration! + 59) / 60 : 0
                entry.amount += Self.decimal(cdr.charge)
                expected[key] = entry
            }
            let lines = Self.lines(issued)
            XCTAssertEqual(lines.count, expected.count, issued.body)
            for line in lines {
                let key = "\(line["customerId"] as? String ?? "")/\(line["category"] as? String ?? "")"
                guard let want = expected[key] else { XCTFail("unexpected line \(line)"); continue }
                XCTAssertEqual(line["quantity"] as? Int, want.quantity, key)
                XCTAssertEqual(Self.decimal(line["amount"]), want.amount, key)
                if line["category"] as? String == "calls" { XCTAssertEqual(line["billedMinutes"] as? Int, want.minutes, key) }
            }
            XCTAssertEqual(lines.map { $0["lineNo"] as? Int }, (0..<lines.count).map { Optional($0 + 1) }, "lines are numbered in order")
            XCTAssertFalse(issued.body.contains(world.customerB1), "B's traffic is not on A's statement")

            // The usage lines add up to GET /v1/usage to the last decimal, customer by customer.
            let usage = try await client.call(.get, "/v1/usage?month=\(Self.lastMonth)", token: world.resellerAKey)
            let customers = usage.json["customers"] as? [[String: Any]] ?? []
            XCTAssertEqual(customers.count, 2)
            var usageTotal = Decimal(0)
            for customer in customers {
                let id = customer["customerId"] as? String ?? ""
                let totals = customer["totals"] as? [String: Any] ?? [:]
                let mine = lines.filter { $0["customerId"] as? String == id }
                let charged = mine.map { Self.decimal($0["amount"]) }.reduce(0, +)
                XCTAssertEqual(charged, Self.decimal(totals["charge"]), "customer \(id)")
                XCTAssertEqual(mine.first { $0["category"] as? String == "calls" }?["quantity"] as? Int ?? 0, totals["calls"] as? Int)
                XCTAssertEqual(mine.first { $0["category"] as? String == "calls" }?["billedMinutes"] as? Int ?? 0, totals["billedMinutes"] as? Int)
                XCTAssertEqual(mine.first { $0["category"] as? String == "sms" }?["quantity"] as? Int ?? 0, totals["sms"] as? Int)
                XCTAssertEqual(mine.first { $0["category"] as? String == "data" }?["quantity"] as? Int ?? 0, totals["dataBytes"] as? Int)
                usageTotal += Self.decimal(totals["charge"])
            }
            XCTAssertEqual(Self.decimal(issued.json["usageNet"]), usageTotal)
            XCTAssertEqual(Self.decimal(issued.json["net"]), usageTotal, "no price list: usage only")
            // VAT on the net, rounded to the øre; gross is their sum.
            let net = Self.decimal(issued.json["net"])
            XCTAssertEqual(Self.decimal(issued.json["vat"]), Self.rounded(net * Self.decimal(issued.json["vatRate"]), 2))
            XCTAssertEqual((issued.json["vat"] as? String)?.split(separator: ".").last?.count, 2, "VAT has two decimals")
            XCTAssertEqual(Self.decimal(issued.json["gross"]), net + Self.decimal(issued.json["vat"]))

            // Once per reseller and month: the second answer names the first statement.
            let again = try await Self.issue(client, reseller: world.resellerA)
            XCTAssertEqual(again.status, .conflict, again.body)
            XCTAssertEqual(again.json["type"] as? String, "urn:switchboard:problem:statement-already-issued")
            XCTAssertTrue(again.body.contains(statementID), again.body)

            // Reseller B's statement holds only B's traffic.
            let issuedB = try await Self.issue(client, reseller: world.resellerB)
            XCTAssertEqual(issuedB.status, .created, issuedB.body)
            XCTAssertEqual(Set(Self.lines(issuedB).compactMap { $0["customerId"] as? String }), [world.customerB1])
            XCTAssertEqual(Self.decimal(issuedB.json["usageNet"]), Self.decimal("9.9999"))

            // A reads its own statement; B gets 404 for it; the platform lists both.
            let read = try await client.call(.get, "/v1/statements/\(statementID)", token: world.resellerAKey)
            XCTAssertEqual(read.status, .ok)
            XCTAssertEqual(read.json["gross"] as? String, issued.json["gross"] as? String)
            let foreign = try await client.call(.get, "/v1/statements/\(statementID)", token: world.resellerBKey)
            XCTAssertEqual(foreign.status, .notFound)
            let listB = try await client.call(.get, "/v1/statements", token: world.resellerBKey)
            XCTAssertEqual(listB.items.compactMap { $0["resellerId"] as? String }, [world.resellerB])
            let listAll = try await client.call(.get, "/v1/statements?month=\(Self.lastMonth)", token: World.bootstrapToken)
            XCTAssertEqual(Set(listAll.items.compactMap { $0["resellerId"] as? String }), [world.resellerA, world.resellerB])
            let listOne = try await client.call(.get, "/v1/statements?resellerId=\(world.resellerB)&limit=1", token: World.bootstrapToken)
            XCTAssertEqual(listOne.items.compactMap { $0["id"] as? String }, [try issuedB.string("id")])

            // Audited in A's chain (A's own trail shows it) and announced to A's webhook.
            let trail = try await client.call(.get, "/v1/audit-events?action=statement.issue", token: world.resellerAKey)
            XCTAssertEqual(trail.items.compactMap { $0["targetId"] as? String }, [statementID], trail.body)
            let announced = try await database.integer(
                "SELECT count(*) FROM sb.webhook_deliveries WHERE reseller_id = '\(world.resellerA)' AND event_type = 'statement.issued' AND body LIKE '%\(statementID)%'")
            XCTAssertEqual(announced, 1)
        }
    }

    func testOnlyACompletedMonthWithinTheCDRRetentionCanBeIssuedAndUnreconciledFiguresIssueNothing() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let current = SettlementMonth.containing(Date())
            for month in [current, current.adding(months: 1), current.adding(months: -(RetentionPeriod.trafficDataMonths + 1))] {
                let refused = try await Self.issue(client, reseller: world.resellerA, month: month.description)
                XCTAssertEqual(refused.status, .unprocessableContent, "\(month): \(refused.body)")
                XCTAssertEqual(refused.fieldRules, ["month/range"])
            }
            let oldest = try await Self.issue(client, reseller: world.resellerA, month: current.adding(months: -RetentionPeriod.trafficDataMonths).description)
            XCTAssertEqual(oldest.status, .created, "the oldest month still kept: \(oldest.body)")
            for bad in ["2026-13", "2026-1", "26-01", "2026-01-01"] {
                let malformed = try await Self.issue(client, reseller: world.resellerA, month: bad)
                XCTAssertEqual(malformed.status, .unprocessableContent, bad)
                XCTAssertEqual(malformed.fieldRules, ["month/format"], bad)
            }
            let unknown = try await Self.issue(client, reseller: UUID().uuidString.lowercased())
            XCTAssertEqual(unknown.status, .notFound)

            // Usage totals that disagree with the records: refused with both figures, nothing issued.
            let numberA1 = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            try await Self.backdateAssignments(database)
            try await Self.post(client, [SentCDR(kind: "call", number: numberA1, duration: 90, bytes: nil, charge: "3.2100")], at: Self.inLastMonth)
            try await database.withAdmin { connection in
                try await connection.query("UPDATE sb.usage_monthly SET charge = charge + 0.0001 WHERE reseller_id = \(UUID(uuidString: world.resellerA)!)", logger: TestCluster.logger)
            }
            let refused = try await Self.issue(client, reseller: world.resellerA)
            XCTAssertEqual(refused.status, .conflict, refused.body)
            XCTAssertEqual(refused.json["type"] as? String, "urn:switchboard:problem:statement-unreconciled")
            let detail = refused.json["detail"] as? String ?? ""
            XCTAssertTrue(detail.contains("3.2100") && detail.contains("3.2101"), detail)
            let statements = try await database.integer("SELECT count(*) FROM sb.statements WHERE month = '\(Self.lastMonth.firstDay)'")
            XCTAssertEqual(statements, 0, "nothing issued")
            // The same check stops a run for every reseller, all or nothing.
            let all = try await client.call(.post, "/v1/platform/statements", token: World.bootstrapToken, json: #"{"month":"\#(Self.lastMonth)"}"#)
            XCTAssertEqual(all.status, .conflict, all.body)
            let afterRun = try await database.integer("SELECT count(*) FROM sb.statements WHERE month = '\(Self.lastMonth.firstDay)'")
            XCTAssertEqual(afterRun, 0)
        }
    }

    func testIssuingForEveryActiveResellerSkipsThoseAlreadyIssued() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let first = try await Self.issue(client, reseller: world.resellerA)
            XCTAssertEqual(first.status, .created)
            let etag = try await client.currentETag("/v1/resellers/\(world.resellerWithoutKey)", token: World.bootstrapToken)
            let suspended = try await client.call(.patch, "/v1/resellers/\(world.resellerWithoutKey)", token: World.bootstrapToken, json: #"{"status":"suspended"}"#,
                                                  headers: [.ifMatch: etag])
            XCTAssertEqual(suspended.status, .ok, suspended.body)
            let run = try await client.call(.post, "/v1/platform/statements", token: World.bootstrapToken, json: #"{"month":"\#(Self.lastMonth)"}"#)
            XCTAssertEqual(run.status, .ok, run.body)
            let issued = (run.json["issued"] as? [[String: Any]] ?? []).compactMap { $0["resellerId"] as? String }
            XCTAssertEqual(issued, [world.resellerB], "the active reseller without a statement; not the suspended one")
            let skipped = run.json["skipped"] as? [[String: Any]] ?? []
            XCTAssertEqual(skipped.map { $0["resellerId"] as? String }, [world.resellerA])
            XCTAssertEqual(skipped.first?["statementId"] as? String, try first.string("id"))
            let again = try await client.call(.post, "/v1/platform/statements", token: World.bootstrapToken, json: #"{"month":"\#(Self.lastMonth)"}"#)
            XCTAssertEqual((again.json["issued"] as? [Any])?.count, 0)
            XCTAssertEqual((again.json["skipped"] as? [Any])?.count, 2)
        }
    }

    func testRecurringChargesFollowThePriceListAndVATIsRoundedToTheØre() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let unset = try await client.call(.get, "/v1/platform/price-list", token: World.bootstrapToken)
            XCTAssertEqual(unset.json["currency"] as? String, "DKK")
            XCTAssertNil(unset.json["numberMonthly"] as? String, "no price for numbers yet")
            for (body, rule) in [(#"{"currency":"dkk","vatRate":"0.25"}"#, "currency/format"), (#"{"currency":"DKK","vatRate":"1.5"}"#, "vatRate/range"),
                                 (#"{"currency":"DKK","vatRate":"0.25","numberMonthly":"1.23456"}"#, "numberMonthly/format"),
                                 (#"{"currency":"DKK","vatRate":"0.25","simMonthly":"-1"}"#, "simMonthly/format")] {
                let refused = try await client.call(.put, "/v1/platform/price-list", token: World.bootstrapToken, json: body)
                XCTAssertEqual(refused.status, .unprocessableContent, body)
                XCTAssertEqual(refused.fieldRules, [rule], body)
            }
            let set = try await client.call(.put, "/v1/platform/price-list", token: World.bootstrapToken,
                                            json: #"{"currency":"DKK","numberMonthly":"12.3457","simMonthly":"3.3333","vatRate":"0.25"}"#)
            XCTAssertEqual(set.status, .ok, set.body)
            XCTAssertEqual(set.json["numberMonthly"] as? String, "12.3457")

            // A1's seeded people hold numbers and SIM cards; one more number is released during last month.
            try await Self.backdateAssignments(database)
            let extra = World.stockA.numbers[SeededStock.firstFree + 50]
            let holder = try await Self.employee(of: world.customerA1, number: extra, key: world.resellerAKey, extensionNumber: "500", client)
            try await database.withAdmin { connection in
                try await connection.query("UPDATE sb.number_assignments SET assigned_at = \(Self.inLastMonth(-86_400 * 8)), released_at = \(Self.inLastMonth(0)) WHERE number = \(extra)", logger: TestCluster.logger)
            }
            _ = holder
            let (numbers, sims) = try await database.withAdmin { connection in
                let start = Self.lastMonth.firstDay, end = Self.lastMonth.adding(months: 1).firstDay
                let numbers = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT count(DISTINCT number)::int FROM sb.number_assignments WHERE customer_id = '\(world.customerA1)'
                    AND assigned_at < '\(end)' AND (released_at IS NULL OR released_at >= '\(start)')
                    """), logger: TestCluster.logger).collect()[0].decode(Int.self)
                let sims = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT count(DISTINCT iccid)::int FROM sb.sim_cards WHERE customer_id = '\(world.customerA1)'
                    AND assigned_at < '\(end)' AND (released_at IS NULL OR released_at >= '\(start)')
                    """), logger: TestCluster.logger).collect()[0].decode(Int.self)
                return (numbers, sims)
            }
            XCTAssertGreaterThanOrEqual(numbers, 3)
            XCTAssertGreaterThanOrEqual(sims, 2)

            let issued = try await Self.issue(client, reseller: world.resellerA)
            XCTAssertEqual(issued.status, .created, issued.body)
            let lines = Self.lines(issued)
            let numberLine = lines.first { $0["category"] as? String == "number-rental" }
            XCTAssertEqual(numberLine?["customerId"] as? String, world.customerA1)
            XCTAssertEqual(numberLine?["quantity"] as? Int, numbers)
            XCTAssertEqual(numberLine?["unit"] as? String, "numbers")
            XCTAssertEqual(Self.decimal(numberLine?["amount"]), Decimal(numbers) * Self.decimal("12.3457"))
            let simLine = lines.first { $0["category"] as? String == "sim-rental" }
            XCTAssertEqual(simLine?["quantity"] as? Int, sims)
            XCTAssertEqual(Self.decimal(simLine?["amount"]), Decimal(sims) * Self.decimal("3.3333"))
            XCTAssertEqual(lines.filter { $0["customerId"] as? String == world.customerA2 }.count, 0, "A2 holds nothing")
            let net = Self.decimal(issued.json["net"])
            XCTAssertEqual(net, lines.map { Self.decimal($0["amount"]) }.reduce(0, +))
            XCTAssertEqual(Self.decimal(issued.json["usageNet"]), 0)
            let vat = Self.decimal(issued.json["vat"])
            XCTAssertEqual(vat, Self.rounded(net * Self.decimal("0.25"), 2))
            XCTAssertNotEqual(vat, net * Self.decimal("0.25"), "the exact VAT has more than two decimals here, so the rounding is exercised")
            XCTAssertEqual(Self.decimal(issued.json["gross"]), net + vat)

            // A later price change does not touch the issued statement.
            _ = try await client.call(.put, "/v1/platform/price-list", token: World.bootstrapToken, json: #"{"currency":"EUR","numberMonthly":null,"simMonthly":null,"vatRate":"0"}"#)
            let reread = try await client.call(.get, "/v1/statements/\(try issued.string("id"))", token: world.resellerAKey)
            XCTAssertEqual(reread.json["gross"] as? String, issued.json["gross"] as? String)
            XCTAssertEqual(reread.json["currency"] as? String, "DKK")
        }
    }

    func testACreditNoteRefersToTheStatementWhichStaysUnchanged() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let numberA1 = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            try await Self.backdateAssignments(database)
            try await Self.post(client, [SentCDR(kind: "call", number: numberA1, duration: 3600, bytes: nil, charge: "45.0000")], at: Self.inLastMonth)
            let issued = try await Self.issue(client, reseller: world.resellerA)
            let statementID = try issued.string("id")

            let note = try await client.call(.post, "/v1/platform/statements/\(statementID)/notes", token: World.bootstrapToken, json: #"""
                {"kind":"credit-note","reason":"Outage on the 3rd","lines":[{"customerId":"\#(world.customerA1)","description":"Outage credit","amount":"10.05"},
                 {"description":"=HYPERLINK(\"http://evil.example\",\"refund\")","amount":"0.1"}]}
                """#)
            XCTAssertEqual(note.status, .created, note.body)
            XCTAssertEqual(note.json["kind"] as? String, "credit-note")
            XCTAssertEqual(note.json["correctsStatementId"] as? String, statementID)
            XCTAssertEqual(note.json["month"] as? String, Self.lastMonth.description)
            XCTAssertEqual(note.json["reason"] as? String, "Outage on the 3rd")
            let noteNet = Self.decimal(note.json["net"])
            XCTAssertEqual(noteNet, Self.decimal("10.15"))
            XCTAssertEqual(Self.decimal(note.json["vat"]), Self.rounded(noteNet * Self.decimal(issued.json["vatRate"]), 2))
            XCTAssertEqual(Self.lines(note).map { $0["category"] as? String }, ["adjustment", "adjustment"])
            XCTAssertNil(Self.lines(note)[1]["customerId"] as? String, "a line about the reseller as a whole")

            // The statement is as issued, and lists its note.
            let original = try await client.call(.get, "/v1/statements/\(statementID)", token: world.resellerAKey)
            for field in ["net", "vat", "gross", "usageNet", "issuedAt"] {
                XCTAssertEqual(original.json[field] as? String, issued.json[field] as? String, field)
            }
            XCTAssertEqual(Self.lines(original).count, Self.lines(issued).count)
            XCTAssertEqual(original.json["notes"] as? [String], [try note.string("id")])

            // A debit note too; never a note of a note, a customer of another reseller, or a zero amount.
            let debit = try await client.call(.post, "/v1/platform/statements/\(statementID)/notes", token: World.bootstrapToken,
                                              json: #"{"kind":"debit-note","reason":"Late roaming CDRs","lines":[{"description":"Roaming","amount":"7"}]}"#)
            XCTAssertEqual(debit.status, .created, debit.body)
            let ofNote = try await client.call(.post, "/v1/platform/statements/\(try note.string("id"))/notes", token: World.bootstrapToken,
                                               json: #"{"kind":"debit-note","reason":"x","lines":[{"description":"y","amount":"1"}]}"#)
            XCTAssertEqual(ofNote.status, .conflict, ofNote.body)
            let foreign = try await client.call(.post, "/v1/platform/statements/\(statementID)/notes", token: World.bootstrapToken,
                                                json: #"{"kind":"credit-note","reason":"x","lines":[{"customerId":"\#(world.customerB1)","description":"y","amount":"1"}]}"#)
            XCTAssertEqual(foreign.fieldRules, ["lines/0/customerId/unknown"], foreign.body)
            for amount in ["0", "0.00", "-1", "1.23456", "1e3", ""] {
                let refused = try await client.call(.post, "/v1/platform/statements/\(statementID)/notes", token: World.bootstrapToken,
                                                    json: #"{"kind":"credit-note","reason":"x","lines":[{"description":"y","amount":"\#(amount)"}]}"#)
                XCTAssertEqual(refused.status, .unprocessableContent, amount)
            }
            let notes = try await database.integer("SELECT count(*) FROM sb.statements WHERE corrects_statement_id = '\(statementID)'")
            XCTAssertEqual(notes, 2)

            // The note exported as CSV: formula cells neutralised, totals as in JSON.
            let csv = try await client.call(.get, "/v1/statements/\(try note.string("id"))", token: world.resellerAKey, headers: [.accept: "text/csv"])
            XCTAssertEqual(csv.status, .ok)
            XCTAssertTrue(csv.headers[.contentType]?.hasPrefix("text/csv") ?? false)
            let rows = try CSV.parse(csv.body)
            let description = rows.first { $0.first == "line" && $0[4] == "2" }?.last
            XCTAssertEqual(description, #"'=HYPERLINK("http://evil.example","refund")"#)
        }
    }

    func testCSVExportParsesAndMatchesTheJSONTotals() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            _ = try await client.call(.put, "/v1/platform/price-list", token: World.bootstrapToken, json: #"{"currency":"DKK","numberMonthly":"9.99","simMonthly":"1.01","vatRate":"0.25"}"#)
            let numberA1 = try await TrafficTests.number(of: world.employees["reseller"]!.id, client, token: world.resellerAKey)
            try await Self.backdateAssignments(database)
            try await Self.post(client, [
                SentCDR(kind: "call", number: numberA1, duration: 59, bytes: nil, charge: "0.4999"),
                SentCDR(kind: "data", number: numberA1, duration: nil, bytes: 42, charge: "0.0042"),
            ], at: Self.inLastMonth)
            let issued = try await Self.issue(client, reseller: world.resellerA)
            let id = try issued.string("id")
            let csv = try await client.call(.get, "/v1/statements/\(id)?format=csv", token: world.resellerAKey)
            XCTAssertEqual(csv.status, .ok, csv.body)
            XCTAssertTrue(csv.body.hasSuffix("\r\n"))
            let rows = try CSV.parse(csv.body)
            let header = rows[0]
            XCTAssertEqual(header.first, "row")
            func column(_ name: String) -> Int { header.firstIndex(of: name)! }
            let lineRows = rows.filter { $0.first == "line" }
            let json = Self.lines(issued)
            XCTAssertEqual(lineRows.count, json.count)
            for (row, line) in zip(lineRows, json) {
                XCTAssertEqual(row.count, header.count)
                XCTAssertEqual(row[column("amount")], line["amount"] as? String)
                XCTAssertEqual(row[column("category")], line["category"] as? String)
                XCTAssertEqual(row[column("quantity")], String(line["quantity"] as? Int ?? -1))
                XCTAssertEqual(row[column("description")], line["description"] as? String)
                XCTAssertEqual(row[column("statementId")], id)
            }
            for total in ["net", "vat", "gross"] {
                XCTAssertEqual(rows.first { $0.first == total }?[column("amount")], issued.json[total] as? String, total)
            }
            let sum = lineRows.map { Self.decimal($0[column("amount")]) }.reduce(0, +)
            XCTAssertEqual(sum, Self.decimal(rows.first { $0.first == "net" }?[column("amount")]))
            XCTAssertEqual(rows.count, 1 + json.count + 3)
            let other = try await client.call(.get, "/v1/statements/\(id)?format=csv", token: world.resellerBKey)
            XCTAssertEqual(other.status, .notFound)
            XCTAssertEqual(other.headers[.contentType], "application/problem+json")
            let badFormat = try await client.call(.get, "/v1/statements/\(id)?format=xml", token: world.resellerAKey)
            XCTAssertEqual(badFormat.fieldRules, ["format/format"])
        }
    }
}

/// RFC 4180 reading for the tests: quoted cells with doubled quotes, CRLF rows.
enum CSV {
    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], cell = ""
        var quoted = false, index = text.unicodeScalars.startIndex
        let scalars = text.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if quoted {
                if scalar == "\"" {
                    let next = scalars.index(after: index)
                    if next < scalars.endIndex, scalars[next] == "\"" { cell.unicodeScalars.append("\""); index = next } else { quoted = false }
                } else {
                    cell.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                guard cell.isEmpty else { throw TestFailure("a quote inside an unquoted cell") }
                quoted = true
            } else if scalar == "," {
                row.append(cell); cell = ""
            } else if scalar == "\r" {
                let next = scalars.index(after: index)
                guard next < scalars.endIndex, scalars[next] == "\n" else { throw TestFailure("CR without LF") }
                row.append(cell); rows.append(row); row = []; cell = ""; index = next
            } else {
                cell.unicodeScalars.append(scalar)
            }
            index = scalars.index(after: index)
        }
        guard !quoted, row.isEmpty, cell.isEmpty else { throw TestFailure("the document does not end with a complete row") }
        return rows
    }
}
