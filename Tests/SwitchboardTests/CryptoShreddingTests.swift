import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// Erasure that reaches backups: content is sealed with its person's key, kept apart from the
/// main database, and erasure destroys the key first. Markers planted in voicemail and recording
/// bytes never appear in a dump; a dump taken before an erasure and restored after it cannot give
/// the content back; and after the scheduled vacuum no planted value is left in the table files.
final class CryptoShreddingTests: XCTestCase {
    func testMarkersInContentNeverReachADumpAndADumpFromBeforeAnErasureCannotGiveThemBack() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let marker = "MARKER-\(UUID().uuidString.prefix(8))"
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["reseller"]!.id
            let voicemail = try await world.storeContent("voicemail", "\(marker)-voicemail", for: employee, client)
            let recording = try await world.storeContent("recording", "\(marker)-recording", for: employee, client)
            let download = try await client.call(.get, "/v1/employees/\(employee)/content/\(voicemail)", token: world.resellerAKey)
            XCTAssertEqual(download.body, "\(marker)-voicemail", "the owner's reseller reads it back")

            let before = try database.dump()
            XCTAssertGreaterThan(before.count, 10_000)
            XCTAssertEqual(before.occurrences(of: Data(marker.utf8)), 0, "a marker reached the dump")
            let inFiles = try await database.occurrencesInFiles(of: marker)
            XCTAssertEqual(inFiles, 0, "a marker reached the table files")

            // The dump holds the sealed content: restored while the key exists, it opens.
            let vault = try await database.vault()
            let early = try await TestDatabase.restored(before)
            let openedEarly = try await Self.openAll(in: early, ids: [voicemail, recording], owner: employee, vault: vault)
            XCTAssertEqual(openedEarly.sorted(), ["\(marker)-recording", "\(marker)-voicemail"])

            let erased = try await client.call(.post, "/v1/employees/\(employee)/anonymise", token: world.resellerAKey)
            XCTAssertEqual(erased.status, .ok, erased.body)
            let after = try database.dump()
            XCTAssertEqual(after.occurrences(of: Data(marker.utf8)), 0)
            let gone = try await client.call(.get, "/v1/employees/\(employee)/content/\(voicemail)", token: world.resellerAKey)
            XCTAssertEqual(gone.status, .notFound)

            // The same dump, restored after the erasure: the rows come back, the content does not.
            let late = try await TestDatabase.restored(before)
            let sealedRows = try await late.integer("SELECT count(*)::int FROM sb.employee_content WHERE employee_id = '\(employee)' AND sealed")
            XCTAssertEqual(sealedRows, 3, "the restored dump has the rows (the seeded voicemail too)")
            do {
                _ = try await Self.openAll(in: late, ids: [voicemail, recording], owner: employee, vault: vault)
                XCTFail("content opened after its person's erasure")
            } catch KeyStoreError.destroyed {}
            // And through the application running on the restored database, as a reseller would try.
            try await withTestApp(late, keyStore: try await database.keyStore()) { restoredClient in
                let reply = try await restoredClient.call(.get, "/v1/employees/\(employee)/content/\(recording)", token: world.resellerAKey)
                XCTAssertEqual(reply.status, .notFound, reply.body)
            }
        }
    }

    func testErasureLeavesNoPlantedValueInTheTableFilesAfterTheScheduledVacuum() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let marker = "Zzmarker\(UUID().uuidString.prefix(8).lowercased())"
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let created = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey,
                                                json: #"{"fullName":"\#(marker) Person","email":"\#(marker)@a1.example","mobile":"+4520000001","extension":"777"}"#)
            XCTAssertEqual(created.status, .created, created.body)
            let id = try created.string("id")
            _ = try await world.storeContent("voicemail", "\(marker)-audio", for: id, client)
            let planted = try await database.occurrencesInFiles(of: marker)
            XCTAssertGreaterThan(planted, 0, "the name and e-mail are in the table files to begin with")

            let answered = try await client.call(.post, "/v1/employees/\(id)/anonymise", token: world.resellerAKey)
            XCTAssertEqual(answered.status, .ok, answered.body)
            // Without a vacuum the old row version stays in the files (a dead tuple).
            let dead = try await database.occurrencesInFiles(of: marker)
            XCTAssertGreaterThan(dead, 0, "dead tuples keep the erased values until a vacuum")
            let requested = try await database.integer("SELECT count(*)::int FROM platform.vacuum_requests WHERE relation = 'sb.employees' AND rewrite")
            XCTAssertEqual(requested, 1, "erasure schedules the rewrite")

            let run = try await database.runRetention(at: Date())
            XCTAssertNotNil(run.report(RetentionRunner.StepName.vacuum)?.note)
            let left = try await database.occurrencesInFiles(of: marker)
            XCTAssertEqual(left, 0, "a planted value survived the scheduled vacuum")
            let dumped = try database.dump()
            XCTAssertEqual(dumped.occurrences(of: Data(marker.utf8)), 0)
            let pending = try await database.integer("SELECT count(*)::int FROM platform.vacuum_requests")
            XCTAssertEqual(pending, 0)
        }
    }

    func testThePurgeOfAThousandPeopleLeavesNoPlantedValueInADumpOrTheFiles() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let marker = "Qqmarker\(UUID().uuidString.prefix(8).lowercased())"
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let customer = world.customerA2
            // A thousand people (as the reseller's import would make them), each with a planted name.
            try await database.admin("""
                INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, email, extension)
                SELECT '\(world.resellerA)', '\(customer)', gen_random_uuid(), '\(marker) ' || i, lower('\(marker)') || i || '@a2.example', (1000 + i)::text
                FROM generate_series(1, 1000) i
                """)
            let someone = try await database.withAdmin { connection in
                try await connection.query("SELECT id::text FROM sb.employees WHERE customer_id = \(UUID(uuidString: customer)!) LIMIT 1", logger: TestCluster.logger)
                    .collect().first!.decode(String.self)
            }
            _ = try await world.storeContent("recording", "\(marker)-recording", for: someone, client)
            let answered = try await client.call(.post, "/v1/customers/\(customer)/terminate", token: world.resellerAKey)
            XCTAssertEqual(answered.status, .ok, answered.body)
            try await database.admin("UPDATE sb.customers SET terminated_at = now() - interval '31 days' WHERE id = '\(customer)'")
            let before = try await database.occurrencesInFiles(of: marker)
            XCTAssertGreaterThan(before, 1000)

            let started = ContinuousClock.now
            let run = try await database.runRetention(at: Date())
            print("purge of a 1,000-person customer with its vacuum: \(ContinuousClock.now - started)")
            XCTAssertGreaterThanOrEqual(run.report(RetentionPolicy.RuleName.terminatedCustomers)?.affected ?? 0, 1000)
            let people = try await database.integer("SELECT count(*)::int FROM sb.employees WHERE customer_id = '\(customer)'")
            XCTAssertEqual(people, 0)
            let left = try await database.occurrencesInFiles(of: marker)
            XCTAssertEqual(left, 0, "planted values survived the purge and its vacuum")
            let dumped = try database.dump()
            XCTAssertEqual(dumped.occurrences(of: Data(marker.utf8)), 0)
        }
    }

    func testUploadsRacingAnErasureLeaveNoContentAndAnswerOnlyDocumentedStatuses() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, mode: .live, maxConnections: 8) { client in
            let world = try await World.build(client, database: database)
            for round in 0..<4 {
                let created = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey,
                                                    json: #"{"fullName":"Racer \#(round)","extension":"6\#(round)0"}"#)
                let id = try created.string("id")
                // Separate connections (URLSession), so the uploads and the erasure really overlap.
                let base = "http://127.0.0.1:\(try XCTUnwrap(client.port))"
                @Sendable func send(_ method: String, _ path: String, token: String, body: String?) async throws -> Int {
                    var request = URLRequest(url: URL(string: base + path)!)
                    request.httpMethod = method
                    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                    if let body {
                        request.setValue("audio/wav", forHTTPHeaderField: "Content-Type")
                        request.httpBody = Data(body.utf8)
                    }
                    let (_, response) = try await URLSession.shared.data(for: request)
                    return (response as! HTTPURLResponse).statusCode
                }
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<30 {
                        group.addTask { try await send("POST", "/v1/telephony/employees/\(id)/content?kind=greeting", token: world.telephonyKey, body: "racing") }
                    }
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(40))
                        return round == 3
                            ? try await send("DELETE", "/v1/employees/\(id)", token: world.resellerAKey, body: nil)
                            : try await send("POST", "/v1/employees/\(id)/anonymise", token: world.resellerAKey, body: nil)
                    }
                    var statuses: [Int] = []
                    for try await status in group { statuses.append(status) }
                    return statuses
                }
                XCTAssertTrue(Set(statuses).isSubset(of: [200, 201, 204, 404, 409]), "round \(round): \(statuses.sorted())")
                let left = try await database.integer("SELECT count(*)::int FROM sb.employee_content WHERE employee_id = '\(id)'")
                XCTAssertEqual(left, 0, "round \(round): content stored beside the erasure survived it")
            }
        }
    }

    /// Opens the content rows `ids` of `owner` as stored in `database` with `vault`'s keys.
    static func openAll(in database: TestDatabase, ids: [String], owner: String, vault: ContentVault) async throws -> [String] {
        let rows = try await database.withAdmin { connection in
            try await connection.query(
                "SELECT id, data, sealed FROM sb.employee_content WHERE id = ANY(\(ids.map { UUID(uuidString: $0)! }))", logger: TestCluster.logger
            ).collect().map { try $0.decode((UUID, ByteBuffer, Bool).self) }
        }
        var opened: [String] = []
        for (id, data, sealed) in rows {
            XCTAssertTrue(sealed)
            opened.append(String(decoding: try await vault.open(data, sealed: sealed, contentID: id, owner: UUID(uuidString: owner)!), as: UTF8.self))
        }
        return opened
    }
}
