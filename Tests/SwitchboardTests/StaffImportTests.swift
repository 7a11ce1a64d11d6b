import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// The staff CSV import and export over HTTP (issue 13): all or none, every error located, only
/// the caller's own stock, formulas neutralised, limits enforced while streaming.
final class StaffImportTests: XCTestCase {
    static let header = "fullName,extension,email,mobile,number,iccid\r\n"

    /// Numbers and SIM cards the platform allocates to reseller A for one test, beyond World's stock.
    struct FreshStock {
        let numbers: [String]
        let iccids: [String]
    }

    static func allocate(_ client: some TestClientProtocol, _ world: World, first: String, count: Int, iccidSeed: Int) async throws -> FreshStock {
        let numbers = NumberRange.numbers(from: first, count: count)!
        let iccids = (0..<count).map { World.iccid(seed: String(iccidSeed + $0)) }
        let block = try await client.call(.post, "/v1/resellers/\(world.resellerA)/number-blocks", token: world.platformKey, json: #"{"first":"\#(first)","count":\#(count)}"#)
        XCTAssertEqual(block.status, .created, block.body)
        let list = iccids.map { "\"\($0)\"" }.joined(separator: ",")
        let batch = try await client.call(.post, "/v1/resellers/\(world.resellerA)/sim-batches", token: world.platformKey, json: #"{"iccids":[\#(list)]}"#)
        XCTAssertEqual(batch.status, .created, batch.body)
        return FreshStock(numbers: numbers, iccids: iccids)
    }

    static func importCSV(_ client: some TestClientProtocol, customer: String, _ csv: String, token: String, dryRun: Bool = false) async throws -> Reply {
        try await client.call(.post, "/v1/customers/\(customer)/employees/import\(dryRun ? "?dryRun=true" : "")", token: token, json: csv,
                              headers: [.contentType: "text/csv"])
    }

    /// What the database holds that an import could have changed, counted as the superuser.
    static func footprint(_ database: TestDatabase) async throws -> [Int] {
        try await database.withAdmin { connection in
            let row = try await connection.query(
                """
                SELECT (SELECT count(*)::int FROM sb.employees), (SELECT count(*)::int FROM sb.number_assignments),
                       (SELECT count(*)::int FROM sb.sim_cards), (SELECT count(*)::int FROM sb.stock_numbers WHERE state = 'assigned'),
                       (SELECT count(*)::int FROM sb.stock_sims WHERE state = 'assigned'), (SELECT count(*)::int FROM sb.audit_events)
                """,
                logger: TestCluster.logger
            ).collect().first!
            let (a, b, c, d, e, f) = try row.decode((Int, Int, Int, Int, Int, Int).self)
            return [a, b, c, d, e, f]
        }
    }

    /// The `errors` of a report or problem as `line field rule` strings.
    static func located(_ reply: Reply) -> [String] {
        ((reply.json["errors"] as? [[String: Any]]) ?? []).map { "\($0["line"] as? Int ?? -1) \($0["field"] as? String ?? "") \($0["rule"] as? String ?? "")" }
    }

    func testDryRunLocatesEveryErrorAndChangesNothingAndTheRealRunRefusesAll() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let free = World.stockA.numbers[SeededStock.firstFree]
            let freeSIM = World.stockA.iccids[2]
            let csv = Self.header + [
                "Ann Able,201,ann@a1.example,+4512345678,\(free),\(freeSIM)",      // 2: fine
                "Bo Bad,2x,bo@,004512,12345,8945100000000000001",                     // 3: five format errors
                "Cy Copy,201,,,\(free),",                                             // 4: duplicates of row 2
                "Di Taken,100,,,\(World.stockA.numbers[0]),\(World.stockA.iccids[0])", // 5: in use: extension, number, SIM
                "Ed Elsewhere,205,,,\(World.stockB.numbers[10]),\(World.stockB.iccids[10])", // 6: B's stock
                "Fi Fiction,206,,,+4599999999,\(World.iccid(seed: "999999"))",       // 7: nobody's stock
                "too,few",                                                            // 8: shape
                "Gu Good,207,,,,",                                                    // 9: fine
            ].joined(separator: "\r\n") + "\r\n"
            let before = try await Self.footprint(database)
            let dry = try await Self.importCSV(client, customer: world.customerA1, csv, token: world.managerA1Token, dryRun: true)
            XCTAssertEqual(dry.status, .ok, dry.body)
            XCTAssertEqual(dry.json["dryRun"] as? Bool, true)
            XCTAssertEqual(dry.json["rows"] as? Int, 7, "row 8 has the wrong cell count and is no row")
            XCTAssertEqual(dry.json["created"] as? Int, 0)
            XCTAssertEqual((dry.json["results"] as? [[String: Any]])?.compactMap { $0["line"] as? Int }, [2, 9], "only rows without an error would be created")
            XCTAssertEqual(Self.located(dry), [
                "3 extension format", "3 email format", "3 mobile format", "3 number format", "3 iccid checkDigit",
                "4 extension duplicate", "4 number duplicate",
                "5 extension unique", "5 number unavailable", "5 iccid unavailable",
                "6 number not-in-inventory", "6 iccid not-in-inventory",
                "7 number not-in-inventory", "7 iccid not-in-inventory",
                "8 (row) cellCount",
            ])
            // Another reseller's values read exactly as values nobody holds.
            let errors = (dry.json["errors"] as? [[String: Any]]) ?? []
            let foreign = errors.filter { $0["line"] as? Int == 6 }.map { "\($0["field"]!) \($0["rule"]!) \($0["message"]!)" }
            let unknown = errors.filter { $0["line"] as? Int == 7 }.map { "\($0["field"]!) \($0["rule"]!) \($0["message"]!)" }
            XCTAssertEqual(foreign, unknown)
            let afterDryRun = try await Self.footprint(database)
            XCTAssertEqual(afterDryRun, before, "a dry run changes nothing and audits nothing")

            let real = try await Self.importCSV(client, customer: world.customerA1, csv, token: world.managerA1Token)
            try assertProblem(TestResponseShim(real), status: .unprocessableContent)
            XCTAssertEqual(Self.located(real), Self.located(dry), "the real run refuses with the same errors")
            let afterRefusal = try await Self.footprint(database)
            XCTAssertEqual(afterRefusal, before, "nothing was applied: not rows 2 and 9 either")
        }
    }

    func testABadRowAtTheEndOf5000RowsLeavesNoTrace() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let stock = try await Self.allocate(client, world, first: "+4571000000", count: 5000, iccidSeed: 300_000)
            var lines = (0..<5000).map { "Person \($0),\(10_000 + $0),p\($0)@a1.example,,\(stock.numbers[$0]),\(stock.iccids[$0])" }
            let good = lines[4999]
            lines[4999] = "Person last,14999,not-an-address,,\(stock.numbers[4999]),\(stock.iccids[4999])"
            let before = try await Self.footprint(database)
            let refused = try await Self.importCSV(client, customer: world.customerA1, Self.header + lines.joined(separator: "\r\n"), token: world.resellerAKey)
            try assertProblem(TestResponseShim(refused), status: .unprocessableContent)
            XCTAssertEqual(Self.located(refused), ["5001 email format"])
            let afterBadRow = try await Self.footprint(database)
            XCTAssertEqual(afterBadRow, before, "no employee, no assignment, no stock claimed, no audit entry")

            lines[4999] = good
            let started = ContinuousClock.now
            let applied = try await Self.importCSV(client, customer: world.customerA1, Self.header + lines.joined(separator: "\r\n"), token: world.resellerAKey)
            let elapsed = ContinuousClock.now - started
            XCTAssertEqual(applied.status, .created, String(applied.body.prefix(500)))
            XCTAssertEqual(applied.json["created"] as? Int, 5000)
            let results = (applied.json["results"] as? [[String: Any]]) ?? []
            XCTAssertEqual(results.compactMap { $0["line"] as? Int }, Array(2...5001))
            XCTAssertEqual(Set(results.compactMap { $0["employeeId"] as? String }).count, 5000)
            let after = try await Self.footprint(database)
            XCTAssertEqual(zip(after, before).map { $0 - $1 }, [5000, 5000, 5000, 5000, 5000, 15000],
                           "employees, numbers, SIMs, claimed stock, and three audit entries per person")
            let chain = try await database.withAdmin { try await AuditVerifier.verify(on: $0, logger: TestCluster.logger) }
            XCTAssertNil(chain.firstBreak, "the batched audit entries extend the hash chain like single ones")
            let audited = try await TrafficTests.count(database, """
                SELECT count(*)::int FROM sb.audit_events WHERE action = 'employee.create' AND fields = '{fullName,extension,email}'
                  AND customer_id = '\(world.customerA1)' AND role = 'sb_reseller'
                """)
            XCTAssertEqual(audited, 5000, "field names, never values")
            print("staff import: 5,000 rows with a number and a SIM each in \(elapsed) (this build, router test client)")
        }
    }

    func testExportNeutralisesFormulasAndRoundTripsIntoAnotherCompany() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        // No quarantine: numbers released in A1 may go straight to A2 (the round trip reuses them).
        try await withTestApp(database, inventory: InventorySettings(quarantine: QuarantineRule(days: 0))) { client in
            let world = try await World.build(client, database: database)
            let stock = try await Self.allocate(client, world, first: "+4572000000", count: 10, iccidSeed: 400_000)
            let formula = "=cmd|' /C calc'!A0"
            let csv = Self.header + [
                "\(formula),301,,,\(stock.numbers[0]) \(stock.numbers[1]),\(stock.iccids[0])",
                "\"Comma, \"\"Quote\"\"\",302,x@a1.example,+4512345678,,",
                "@SUM(1+1),303,,,\(stock.numbers[2]),\(stock.iccids[1]) \(stock.iccids[2])",
            ].joined(separator: "\r\n")
            let imported = try await Self.importCSV(client, customer: world.customerA1, csv, token: world.resellerAKey)
            XCTAssertEqual(imported.status, .created, imported.body)

            let export = try await client.call(.get, "/v1/customers/\(world.customerA1)/employees/export.csv", token: world.managerA1Token)
            XCTAssertEqual(export.status, .ok, export.body)
            XCTAssertTrue(export.headers[.contentType]?.hasPrefix("text/csv") == true)
            XCTAssertEqual(export.headers[.contentDisposition], #"attachment; filename="employees.csv""#)
            let lines = export.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            XCTAssertEqual(lines.first, "fullName,extension,email,mobile,number,iccid")
            XCTAssertTrue(lines.contains("'\(formula),301,,,\(stock.numbers[0]) \(stock.numbers[1]),\(stock.iccids[0])"), export.body)
            XCTAssertTrue(lines.contains("'@SUM(1+1),303,,,\(stock.numbers[2]),\(stock.iccids[1]) \(stock.iccids[2])"), export.body)
            XCTAssertTrue(lines.contains(#""Comma, ""Quote""",302,x@a1.example,+4512345678,,"#), "numbers are never prefixed: \(export.body)")
            XCTAssertEqual(lines.count, 1 + 2 + 3, "header, World's two employees, the three imported")
            let audits = try await TrafficTests.count(database, "SELECT count(*)::int FROM sb.audit_events WHERE action = 'employee.export_csv' AND target_id = '\(world.customerA1)'")
            XCTAssertEqual(audits, 1)

            // Round trip: A1's people leave (their numbers and SIM cards go back to A's stock), and
            // A2's manager imports A1's export unchanged; A2's export is then the same file.
            let people = try await client.call(.get, "/v1/customers/\(world.customerA1)/employees?limit=100", token: world.resellerAKey).items
            for person in people {
                let deleted = try await client.call(.delete, "/v1/employees/\(person["id"] as! String)", token: world.resellerAKey)
                XCTAssertEqual(deleted.status, .noContent)
            }
            let again = try await Self.importCSV(client, customer: world.customerA2, export.body, token: world.managerA2Token)
            XCTAssertEqual(again.status, .created, again.body)
            let roundTrip = try await client.call(.get, "/v1/customers/\(world.customerA2)/employees/export.csv", token: world.managerA2Token)
            XCTAssertEqual(Set(roundTrip.body.components(separatedBy: "\r\n")), Set(export.body.components(separatedBy: "\r\n")))
            let a2 = try await client.call(.get, "/v1/customers/\(world.customerA2)/employees?limit=100", token: world.managerA2Token).items
            XCTAssertTrue(a2.contains { $0["fullName"] as? String == formula }, "the import removes the export's quote again")
        }
    }

    func testLimitsAndMediaTypeRefuseBeforeAnythingIsCreated() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let before = try await Self.footprint(database)
            let tooManyRows = Self.header + (0..<10_001).map { "P,\(10_000 + $0),,,," }.joined(separator: "\r\n")
            let rows = try await Self.importCSV(client, customer: world.customerA1, tooManyRows, token: world.resellerAKey)
            try assertProblem(TestResponseShim(rows), status: .contentTooLarge)
            XCTAssertTrue((rows.json["detail"] as? String)?.contains("10000 employee rows") == true, rows.body)
            let exactly = Self.header + (0..<10_000).map { "P,\(10_000 + $0),,,," }.joined(separator: "\r\n")
            let dry = try await Self.importCSV(client, customer: world.customerA1, exactly, token: world.resellerAKey, dryRun: true)
            XCTAssertEqual(dry.status, .ok, "10,000 rows are allowed")

            let oversize = Self.header + "P,500,,,,\r\n" + String(repeating: "x", count: 2 << 20)
            let bytes = try await Self.importCSV(client, customer: world.customerA1, oversize, token: world.resellerAKey)
            try assertProblem(TestResponseShim(bytes), status: .contentTooLarge)
            let json = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees/import", token: world.resellerAKey,
                                             json: #"{"fullName":"Ann","extension":"55"}"#)
            try assertProblem(TestResponseShim(json), status: .unsupportedMediaType)
            let afterRefusals = try await Self.footprint(database)
            XCTAssertEqual(afterRefusals, before)
        }
    }

    func testOtherTenantsCannotImportOrExportAndTerminatedCompaniesTakeNoOne() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let before = try await Self.footprint(database)
            let csv = Self.header + "Intruder,555,,,,"
            for token in [world.managerA2Token, world.resellerBKey] {
                for dryRun in [false, true] {
                    let reply = try await Self.importCSV(client, customer: world.customerA1, csv, token: token, dryRun: dryRun)
                    try assertProblem(TestResponseShim(reply), status: .notFound)
                }
                let export = try await client.call(.get, "/v1/customers/\(world.customerA1)/employees/export.csv", token: token)
                try assertProblem(TestResponseShim(export), status: .notFound)
                XCTAssertFalse(export.body.contains("Staff manager"))
            }
            let unknown = try await Self.importCSV(client, customer: UUID().uuidString.lowercased(), csv, token: world.resellerAKey)
            try assertProblem(TestResponseShim(unknown), status: .notFound)
            let afterForeignCalls = try await Self.footprint(database)
            XCTAssertEqual(afterForeignCalls, before)

            let terminated = try await client.call(.post, "/v1/customers/\(world.customerA2)/terminate", token: world.resellerAKey)
            XCTAssertEqual(terminated.status, .ok, terminated.body)
            let late = try await Self.importCSV(client, customer: world.customerA2, csv, token: world.resellerAKey)
            try assertProblem(TestResponseShim(late), status: .conflict)
            XCTAssertEqual(late.json["type"] as? String, "urn:switchboard:problem:customer-terminated")
        }
    }
}
