import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// Numbers and SIM cards as the platform's stock (issue 13): allocation, assignment only from the
/// caller's own stock, quarantine, and answers that tell a reseller nothing about another's stock.
final class InventoryTests: XCTestCase {
    /// A clock the test moves; the server reads it for every quarantine decision.
    final class MovableClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date()
        var now: Date { lock.withLock { current } }
        func advance(days: Double) { lock.withLock { current = current.addingTimeInterval(days * 86_400) } }
    }

    /// A reply's body without its request id (the only part that may differ between two answers).
    static func comparable(_ reply: Reply) -> String {
        var object = reply.json
        object["requestId"] = nil
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return "\(reply.status.code) \(reply.headers[.contentType] ?? "") \(String(decoding: data, as: UTF8.self))"
    }

    static func employee(_ client: some TestClientProtocol, customer: String, token: String, extension number: String) async throws -> String {
        let reply = try await client.call(.post, "/v1/customers/\(customer)/employees", token: token, json: #"{"fullName":"Staff \#(number)","extension":"\#(number)"}"#)
        guard reply.status == .created else { throw TestFailure("employee: \(reply.status.code) \(reply.body)") }
        return try reply.string("id")
    }

    func testForeignAndUnknownValuesGetTheSameAnswer() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let key = world.resellerBKey
            let bEmployee = try await Self.employee(client, customer: world.customerB1, token: key, extension: "20")
            let path = "/v1/employees/\(bEmployee)"
            // A's numbers in every state: assigned (seeded), available, and quarantined (released below).
            let released = world.employees["reseller"]!
            let holder = try await client.call(.get, "/v1/employees/\(released.id)", token: world.resellerAKey)
            let quarantined = try XCTUnwrap((holder.json["numbers"] as? [[String: Any]])?.first?["value"] as? String)
            let status1 = try await client.call(.delete, "/v1/employees/\(released.id)/numbers/\(released.numberAssignment)", token: world.resellerAKey).status
            XCTAssertEqual(status1, .noContent)
            let foreignNumbers = [World.stockA.numbers[0], World.stockA.numbers[SeededStock.firstFree], quarantined]
            let unknownNumber = "+4599887766"
            let unknown = Self.comparable(try await client.call(.post, "\(path)/numbers", token: key, json: #"{"number":"\#(unknownNumber)"}"#))
            XCTAssertTrue(unknown.hasPrefix("422 application/problem+json"), unknown)
            XCTAssertTrue(unknown.contains("not-in-inventory"), unknown)
            for number in foreignNumbers {
                let foreign = Self.comparable(try await client.call(.post, "\(path)/numbers", token: key, json: #"{"number":"\#(number)"}"#))
                XCTAssertEqual(foreign, unknown, "A's \(number) must read exactly like an unknown number")
                let fax = Self.comparable(try await client.call(.post, "\(path)/fax-to-mail", token: key, json: #"{"faxNumber":"\#(number)","deliveryEmail":"f@b.example"}"#))
                let unknownFax = Self.comparable(try await client.call(.post, "\(path)/fax-to-mail", token: key, json: #"{"faxNumber":"\#(unknownNumber)","deliveryEmail":"f@b.example"}"#))
                XCTAssertEqual(fax, unknownFax, "fax numbers: the same principle")
            }
            let unknownSIM = Self.comparable(try await client.call(.post, "\(path)/sims", token: key, json: #"{"iccid":"\#(World.iccid(seed: "777777"))"}"#))
            XCTAssertTrue(unknownSIM.contains("not-in-inventory"), unknownSIM)
            for iccid in [World.stockA.iccids[0], World.stockA.iccids[SeededStock.firstFree]] {
                let foreign = Self.comparable(try await client.call(.post, "\(path)/sims", token: key, json: #"{"iccid":"\#(iccid)"}"#))
                XCTAssertEqual(foreign, unknownSIM, "A's SIM \(iccid) must read exactly like an unknown one")
            }
            // Nothing of A's stock changed, and B's employee holds nothing.
            let aStock = try await client.call(.get, "/v1/numbers?state=available&limit=200", token: world.resellerAKey)
            XCTAssertTrue(aStock.items.contains { $0["number"] as? String == World.stockA.numbers[SeededStock.firstFree] })
            let bHolds = try await client.call(.get, path, token: key)
            XCTAssertEqual((bHolds.json["numbers"] as? [Any])?.count, 0)
            XCTAssertEqual((bHolds.json["sims"] as? [Any])?.count, 0)

            // Timing: both take the same path (a lookup by reseller and value); medians stay close.
            var foreignTimes: [Double] = [], unknownTimes: [Double] = []
            for round in 0..<30 {
                for (number, isForeign) in [(World.stockA.numbers[SeededStock.firstFree + 1 + round % 5], true), ("+45998877\(String(format: "%02d", round))", false)] {
                    let start = ContinuousClock.now
                    _ = try await client.call(.post, "\(path)/numbers", token: key, json: #"{"number":"\#(number)"}"#)
                    let elapsed = ContinuousClock.now - start
                    let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                    if isForeign { foreignTimes.append(milliseconds) } else { unknownTimes.append(milliseconds) }
                }
            }
            let median = { (values: [Double]) in values.sorted()[values.count / 2] }
            XCTAssertLessThan(abs(median(foreignTimes) - median(unknownTimes)), max(3, 0.5 * median(unknownTimes)),
                              "foreign \(median(foreignTimes)) ms vs unknown \(median(unknownTimes)) ms")
        }
    }

    func testAResellerListsAndReleasesOnlyItsOwnStock() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let bNumbers = try await client.call(.get, "/v1/numbers?limit=200", token: world.resellerBKey)
            XCTAssertEqual(Set(bNumbers.items.compactMap { $0["number"] as? String }), Set(World.stockB.numbers))
            // A cursor naming A's numbers reveals nothing either.
            let probe = try await client.call(.get, "/v1/numbers?cursor=%2B4570100000&limit=200", token: world.resellerBKey)
            XCTAssertTrue(probe.items.allSatisfy { ($0["number"] as? String)?.hasPrefix("+4580") == true }, probe.body)
            let bSims = try await client.call(.get, "/v1/sims?limit=200", token: world.resellerBKey)
            XCTAssertEqual(Set(bSims.items.compactMap { $0["iccid"] as? String }), Set(World.stockB.iccids))
            // A sees who holds its numbers; the assigned ones name the employee.
            let assigned = try await client.call(.get, "/v1/numbers?state=assigned", token: world.resellerAKey)
            let seeded = world.employees["reseller"]!
            XCTAssertTrue(assigned.items.contains { $0["employeeId"] as? String == seeded.id && $0["use"] as? String == "voice" }, assigned.body)
            XCTAssertTrue(assigned.items.contains { $0["employeeId"] as? String == seeded.id && $0["use"] as? String == "fax" }, assigned.body)
            // B cannot release (and so quarantine) A's numbers or SIM cards.
            for path in ["/v1/employees/\(seeded.id)/numbers/\(seeded.numberAssignment)", "/v1/employees/\(seeded.id)/sims/\(seeded.simAssignment)?disposition=stolen",
                         "/v1/employees/\(seeded.id)/fax-to-mail/\(seeded.faxRoute)"] {
                let status2 = try await client.call(.delete, path, token: world.resellerBKey).status
                XCTAssertEqual(status2, .notFound, path)
            }
            let still = try await client.call(.get, "/v1/numbers?state=assigned", token: world.resellerAKey)
            XCTAssertEqual(still.items.count, assigned.items.count)
            // A1's manager sees A's unassigned stock and A1's own numbers, nothing of A2.
            let a2Employee = try await Self.employee(client, customer: world.customerA2, token: world.resellerAKey, extension: "30")
            let a2Number = World.stockA.numbers[SeededStock.firstFree + 20]
            let status3 = try await client.call(.post, "/v1/employees/\(a2Employee)/numbers", token: world.resellerAKey, json: #"{"number":"\#(a2Number)"}"#).status
            XCTAssertEqual(status3, .created)
            let managerView = try await client.call(.get, "/v1/numbers?limit=200", token: world.managerA1Token)
            let visible = Set(managerView.items.compactMap { $0["number"] as? String })
            XCTAssertFalse(visible.contains(a2Number), "A1's manager must not see A2's number")
            XCTAssertTrue(visible.contains(World.stockA.numbers[0]), "A1's own numbers")
            XCTAssertTrue(visible.contains(World.stockA.numbers[SeededStock.firstFree]), "unassigned stock, to assign from")
            // ...and cannot take A2's number for A1 either: for the manager it is not stock.
            let managerEmployee = world.employees["manager"]!.id
            let grab = try await client.call(.post, "/v1/employees/\(managerEmployee)/numbers", token: world.managerA1Token, json: #"{"number":"\#(a2Number)"}"#)
            XCTAssertEqual(grab.fieldRules, ["number/not-in-inventory"])
        }
    }

    func testReleasedNumbersStayQuarantinedUntilTheirTimeUnderAMovedClock() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let clock = MovableClock()
        try await withTestApp(database, inventory: InventorySettings(quarantine: QuarantineRule(days: 90), clock: { clock.now })) { client in
            let world = try await World.build(client, database: database)
            let key = world.resellerAKey
            let seeded = world.employees["reseller"]!
            let number = World.stockA.numbers[2]  // World's "reseller" employee holds numbers[2] (and fax numbers[3])
            let status4 = try await client.call(.delete, "/v1/employees/\(seeded.id)/numbers/\(seeded.numberAssignment)", token: key).status
            XCTAssertEqual(status4, .noContent)
            let quarantined = try await client.call(.get, "/v1/numbers?state=quarantined", token: key)
            let entry = try XCTUnwrap(quarantined.items.first { $0["number"] as? String == number }, quarantined.body)
            let until = try XCTUnwrap((entry["quarantinedUntil"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            XCTAssertEqual(until.timeIntervalSince(clock.now), 90 * 86_400, accuracy: 5)
            XCTAssertNil(entry["employeeId"], "a quarantined number is nobody's")

            let newcomer = try await Self.employee(client, customer: world.customerA2, token: key, extension: "40")
            let early = try await client.call(.post, "/v1/employees/\(newcomer)/numbers", token: key, json: #"{"number":"\#(number)"}"#)
            try assertProblem(TestResponseShim(early), status: .conflict)
            XCTAssertEqual(early.json["type"] as? String, "urn:switchboard:problem:number-unavailable")
            // The platform cannot take it back while quarantined either.
            let reclaimEarly = try await client.call(.post, "/v1/resellers/\(world.resellerA)/number-blocks/\(world.numberBlockA)/reclaim", token: world.platformKey)
            let keptEarly = try XCTUnwrap(reclaimEarly.json["kept"] as? Int)
            clock.advance(days: 89)
            let status5 = try await client.call(.post, "/v1/employees/\(newcomer)/numbers", token: key, json: #"{"number":"\#(number)"}"#).status
            XCTAssertEqual(status5, .conflict, "day 89")
            // Another reseller never gets it: it is A's stock.
            let bEmployee = try await Self.employee(client, customer: world.customerB1, token: world.resellerBKey, extension: "41")
            clock.advance(days: 2)
            let bTry = try await client.call(.post, "/v1/employees/\(bEmployee)/numbers", token: world.resellerBKey, json: #"{"number":"\#(number)"}"#)
            XCTAssertEqual(bTry.fieldRules, ["number/not-in-inventory"])
            let available = try await client.call(.get, "/v1/numbers?state=available&limit=200", token: key)
            XCTAssertTrue(available.items.contains { $0["number"] as? String == number }, "day 91: available again")
            let status6 = try await client.call(.post, "/v1/employees/\(newcomer)/numbers", token: key, json: #"{"number":"\#(number)"}"#).status
            XCTAssertEqual(status6, .created, "day 91")
            XCTAssertGreaterThan(keptEarly, 0)
        }
    }

    func testLostSIMCardsAreNeverAssignedAgainAndReclaimLeavesThem() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let key = world.resellerAKey
            let seeded = world.employees["reseller"]!
            let iccid = World.stockA.iccids[1]
            let status7 = try await client.call(.delete, "/v1/employees/\(seeded.id)/sims/\(seeded.simAssignment)?disposition=lost", token: key).status
            XCTAssertEqual(status7, .noContent)
            let again = try await client.call(.post, "/v1/employees/\(seeded.id)/sims", token: key, json: #"{"iccid":"\#(iccid)"}"#)
            try assertProblem(TestResponseShim(again), status: .conflict)
            XCTAssertEqual(again.json["type"] as? String, "urn:switchboard:problem:sim-unavailable")
            let lost = try await client.call(.get, "/v1/sims?state=lost", token: key)
            XCTAssertEqual(lost.items.compactMap { $0["iccid"] as? String }, [iccid])
            let bogus = try await client.call(.delete, "/v1/employees/\(seeded.id)/sims/\(seeded.simAssignment)?disposition=misplaced", token: key)
            XCTAssertEqual(bogus.status, .badRequest)
            // Reclaiming the batch takes the available cards; the assigned and the lost stay.
            let reclaim = try await client.call(.post, "/v1/resellers/\(world.resellerA)/sim-batches/\(world.simBatchA)/reclaim", token: world.platformKey)
            XCTAssertEqual(reclaim.status, .ok, reclaim.body)
            XCTAssertEqual(reclaim.json["kept"] as? Int, 2, "one assigned (the manager's staff), one lost")
            XCTAssertEqual(reclaim.json["reclaimed"] as? Int, World.stockA.simCount - 2)
            let after = try await client.call(.get, "/v1/sims?state=available", token: key)
            XCTAssertEqual(after.items.count, 0)
            let utilisation = try await client.call(.get, "/v1/platform/inventory", token: world.platformKey)
            let a = try XCTUnwrap(utilisation.items.first { $0["resellerId"] as? String == world.resellerA })
            XCTAssertEqual((a["sims"] as? [String: Int]), ["available": 0, "assigned": 1, "lost": 1, "stolen": 0])
            XCTAssertEqual((a["numbers"] as? [String: Int])?["assigned"], 4)
        }
    }

    func testAllocationIsAllOrNothingAndRefusesBadInput() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let platform = world.platformKey
            let path = "/v1/resellers/\(world.resellerB)/number-blocks"
            // Overlapping A's block by one number: nothing is allocated, the platform is told which.
            let overlap = try await client.call(.post, path, token: platform, json: #"{"numbers":["+4590000001","\#(World.stockA.numbers[99])"]}"#)
            try assertProblem(TestResponseShim(overlap), status: .conflict)
            XCTAssertEqual(overlap.fieldRules, ["numbers/1/allocated"])
            let b = try await client.call(.get, "/v1/numbers?limit=200", token: world.resellerBKey)
            XCTAssertFalse(b.items.contains { $0["number"] as? String == "+4590000001" }, "all or nothing")
            for (body, rule) in [(#"{"first":"+999999999999999","count":2}"#, "count/range"), (#"{"first":"+4512","count":2}"#, "first/format"),
                                 (#"{"first":"+4590000000","count":10001}"#, "count/range"), (#"{"first":"+4590000000","count":1,"numbers":["+4590000000"]}"#, "first/oneOf"),
                                 (#"{"numbers":["+4590000000","+4590000000"]}"#, nil)] {
                let reply = try await client.call(.post, path, token: platform, json: body)
                if let rule {
                    XCTAssertEqual(reply.status, .unprocessableContent, body)
                    XCTAssertEqual(reply.fieldRules, [rule], body)
                } else {
                    XCTAssertEqual(reply.status, .conflict, "a repeated number: \(reply.body)")
                }
            }
            let badLuhn = try await client.call(.post, "/v1/resellers/\(world.resellerB)/sim-batches", token: platform,
                                                json: #"{"iccids":["\#(World.iccid(seed: "5"))","8945100000000000001"]}"#)
            XCTAssertEqual(badLuhn.fieldRules, ["iccids/1/checkDigit"])
            let unknownReseller = try await client.call(.post, "/v1/resellers/\(UUID().uuidString.lowercased())/number-blocks", token: platform, json: #"{"first":"+4590000000","count":1}"#)
            XCTAssertEqual(unknownReseller.status, .notFound)
            let block = try await client.call(.post, path, token: platform, json: #"{"first":"+4590000000","count":10}"#)
            XCTAssertEqual(block.status, .created, block.body)
            XCTAssertEqual(block.json["count"] as? Int, 10)
            let listed = try await client.call(.get, path, token: platform)
            XCTAssertEqual(listed.items.count, 2, "World's block and this one")
            XCTAssertEqual(listed.items.last?["stock"] as? [String: Int], ["available": 10, "assigned": 0, "quarantined": 0])
        }
    }

    /// The history keeps attributing CDRs after the person is anonymised, without naming them.
    func testAnonymisationCutsThePersonFromTheHistoryButAttributionHolds() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let seeded = world.employees["reseller"]!
            let number = World.stockA.numbers[2], iccid = World.stockA.iccids[1]  // what World's "reseller" employee holds
            // A moment inside the assignment period: after World assigned the number (a CDR's time
            // is sent to the whole second, so over a second after), before the erasure ends it.
            try await Task.sleep(for: .milliseconds(1100))
            let before = Date()
            try await Task.sleep(for: .milliseconds(20))
            let status8 = try await client.call(.post, "/v1/employees/\(seeded.id)/anonymise", token: world.resellerAKey).status
            XCTAssertEqual(status8, .ok)
            let links = try await TrafficTests.count(database, """
                SELECT (SELECT count(*) FROM sb.number_assignments WHERE employee_id = '\(seeded.id)')
                     + (SELECT count(*) FROM sb.sim_cards WHERE employee_id = '\(seeded.id)')
                """)
            XCTAssertEqual(links, 0, "no row links the anonymised person to a number or ICCID")
            let history = try await TrafficTests.count(database, "SELECT count(*) FROM sb.number_assignments WHERE number = '\(number)' AND customer_id = '\(world.customerA1)'")
            XCTAssertEqual(history, 1, "the assignment period stays for attribution")
            let simHistory = try await TrafficTests.count(database, "SELECT count(*) FROM sb.sim_cards WHERE iccid = '\(iccid)' AND released_at IS NOT NULL")
            XCTAssertEqual(simHistory, 1)
            let states = try await client.call(.get, "/v1/numbers?state=quarantined", token: world.resellerAKey)
            XCTAssertTrue(states.items.contains { $0["number"] as? String == number }, "released into quarantine")
            // A call made while the person held the number is still the company's traffic.
            let stored = try await TrafficTests.post(client, [TrafficTests.cdr("call", number, at: before, duration: 60, charge: "1.5")])
            XCTAssertEqual(stored.status, .created, stored.body)
            XCTAssertEqual(stored.json["unknownNumbers"] as? Int, 0)
            let attributed = try await TrafficTests.count(database, "SELECT count(*) FROM platform.cdrs WHERE served_number = '\(number)' AND customer_id = '\(world.customerA1)'")
            XCTAssertEqual(attributed, 1)
        }
    }

    func testEveryInventoryChangeIsAuditedWithoutItsValues() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let seeded = world.employees["reseller"]!
            _ = try await client.call(.delete, "/v1/employees/\(seeded.id)/numbers/\(seeded.numberAssignment)", token: world.resellerAKey)
            _ = try await client.call(.delete, "/v1/employees/\(seeded.id)/sims/\(seeded.simAssignment)?disposition=stolen", token: world.resellerAKey)
            _ = try await client.call(.post, "/v1/resellers/\(world.resellerA)/number-blocks/\(world.numberBlockA)/reclaim", token: world.platformKey)
            let actions = try await database.withAdmin { connection in
                try await connection.query("SELECT action, fields::text FROM sb.audit_events ORDER BY chain, seq", logger: TestCluster.logger)
                    .collect().map { try $0.decode((String, String).self) }
            }
            let names = Set(actions.map(\.0))
            for action in ["number_block.allocate", "sim_batch.allocate", "number.assign", "sim.assign", "fax_to_mail.add",
                           "number.quarantine", "sim.stolen", "number_block.reclaim"] {
                XCTAssertTrue(names.contains(action), "\(action) missing from \(names.sorted())")
            }
            let text = actions.map(\.1).joined()
            XCTAssertFalse(text.contains("+457"), "no number in the trail")
            XCTAssertFalse(text.contains("89451"), "no ICCID in the trail")
        }
    }

    /// Logins are unique per reseller: another reseller may use the same e-mail without learning it is taken.
    func testAManagerEmailUsedElsewhereNeitherConflictsNorIsRevealed() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let path = "/v1/customers/\(world.customerB1)/managers"
            let taken = try await client.call(.post, path, token: world.resellerBKey,
                                              json: #"{"email":"\#(world.managerA1Email)","password":"b's own long passphrase","fullName":"B Manager"}"#)
            XCTAssertEqual(taken.status, .created, taken.body)
            let fresh = try await client.call(.post, path, token: world.resellerBKey,
                                              json: #"{"email":"fresh-\#(UUID().uuidString.prefix(6))@b.example","password":"b's own long passphrase","fullName":"B Other"}"#)
            XCTAssertEqual(fresh.status, taken.status)
            // Within one reseller the e-mail is still unique.
            let twice = try await client.call(.post, path, token: world.resellerBKey,
                                              json: #"{"email":"\#(world.managerA1Email)","password":"b's own long passphrase","fullName":"B Again"}"#)
            XCTAssertEqual(twice.status, .conflict)
            // Each password opens its own reseller's account.
            for (password, customer) in [(World.password, world.customerA1), ("b's own long passphrase", world.customerB1)] {
                let session = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(password)"}"#)
                XCTAssertEqual(session.status, .created, session.body)
                let me = try await client.call(.get, "/v1/me", token: try session.string("token"))
                XCTAssertEqual(me.json["customerId"] as? String, customer)
            }
            let wrong = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"neither of the two"}"#)
            XCTAssertEqual(wrong.status, .unauthorized)
        }
    }
}
