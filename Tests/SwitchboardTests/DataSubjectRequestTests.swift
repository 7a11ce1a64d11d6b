import Foundation
import HummingbirdTesting
import PostgresNIO
import SwitchboardStore
import XCTest

/// Data-subject requests end to end over HTTP: opened for exactly one person, extended once,
/// answered through the case by the action of each right, and closed with a signed receipt.
final class DataSubjectRequestTests: XCTestCase {
    /// Opens a case as `token`; the reply as it came.
    static func open(_ client: some TestClientProtocol, _ world: World, token: String, customer: String? = nil, extension number: String,
                     name: String, right: String, receivedAt: String? = nil) async throws -> Reply {
        let received = receivedAt.map { #","receivedAt":"\#($0)""# } ?? ""
        return try await client.call(.post, "/v1/data-subject-requests", token: token,
                                     json: #"{"customerId":"\#(customer ?? world.customerA1)","extension":"\#(number)","fullName":"\#(name)","right":"\#(right)"\#(received)}"#)
    }

    /// The platform's published keys, as `switchboard receipt verify --public-keys` reads them.
    static func trustedKeys(_ client: some TestClientProtocol) async throws -> [UUID: [UInt8]] {
        let reply = try await client.call(.get, "/v1/receipts/public-key")
        XCTAssertEqual(reply.status, .ok)
        var keys: [UUID: [UInt8]] = [:]
        for key in reply.json["keys"] as? [[String: Any]] ?? [] {
            keys[UUID(uuidString: key["keyId"] as! String)!] = Array(Data(base64Encoded: key["publicKey"] as! String)!)
        }
        return keys
    }

    static func bytes(of member: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: member))
    }

    func testACaseIsOpenedOnlyForExactlyOnePersonByExtensionAndFullName() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            // Case and runs of spaces do not matter; the employee it matched is named.
            let matched = try await Self.open(client, world, token: world.resellerAKey, extension: "110", name: "  staff   RESELLER ", right: "access")
            XCTAssertEqual(matched.status, .created, matched.body)
            XCTAssertEqual(matched.json["employeeId"] as? String, world.employees["reseller"]!.id)
            XCTAssertEqual(matched.json["state"] as? String, "received")
            for (number, name) in [("110", "Staff Manager"), ("999", "Staff reseller"), ("11", "Staff reseller")] {
                let refused = try await Self.open(client, world, token: world.resellerAKey, extension: number, name: name, right: "access")
                XCTAssertEqual(refused.status, .unprocessableContent, "\(number) \(name)")
                XCTAssertEqual(refused.json["type"] as? String, "urn:switchboard:problem:data-subject-not-found")
            }
            // An anonymised person is nobody's match any more.
            let erased = try await client.call(.post, "/v1/employees/\(world.employees["reseller"]!.id)/anonymise", token: world.resellerAKey)
            XCTAssertEqual(erased.status, .ok)
            let gone = try await Self.open(client, world, token: world.resellerAKey, extension: "110", name: "Staff reseller", right: "erasure")
            XCTAssertEqual(gone.status, .unprocessableContent)
            // Two people with the same extension and name (possible only if the directory's rule were lifted): never a guess.
            try await database.admin("ALTER TABLE sb.employees DROP CONSTRAINT employees_reseller_id_customer_id_extension_key")
            try await database.admin("""
                INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension)
                SELECT reseller_id, customer_id, gen_random_uuid(), full_name, extension FROM sb.employees WHERE id = '\(world.employees["manager"]!.id)'
                """)
            let ambiguous = try await Self.open(client, world, token: world.resellerAKey, extension: "100", name: "Staff manager", right: "access")
            XCTAssertEqual(ambiguous.status, .unprocessableContent)
            XCTAssertEqual(ambiguous.json["type"] as? String, "urn:switchboard:problem:data-subject-ambiguous")
            // A request cannot be received in the future; a foreign customer is 404.
            let future = try await Self.open(client, world, token: world.resellerAKey, extension: "100", name: "Staff manager", right: "access",
                                             receivedAt: "2099-01-01T00:00:00Z")
            XCTAssertEqual(future.status, .unprocessableContent)
            XCTAssertEqual(future.fieldRules, ["receivedAt/range"])
            let foreign = try await Self.open(client, world, token: world.resellerBKey, extension: "100", name: "Staff manager", right: "access")
            XCTAssertEqual(foreign.status, .notFound)
        }
    }

    func testTheDeadlineIsACalendarMonthAndIsExtendedOnceBeforeItWithAReason() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let received = "2026-11-30T10:00:00Z"
            let opened = try await Self.open(client, world, token: world.managerA1Token, extension: "100", name: "Staff manager", right: "access",
                                             receivedAt: received)
            XCTAssertEqual(opened.status, .created, opened.body)
            XCTAssertEqual(opened.json["dueAt"] as? String, "2026-12-30T10:00:00Z")
            let id = try opened.string("id")
            // Not yet due, so it can be extended, once, by at most two months (counted from receipt: 30 November + 3 months is 28 February).
            let tooLong = try await client.call(.post, "/v1/data-subject-requests/\(id)/extension", token: world.managerA1Token,
                                                json: #"{"months":3,"reason":"Large archive"}"#)
            XCTAssertEqual(tooLong.status, .unprocessableContent)
            let noReason = try await client.call(.post, "/v1/data-subject-requests/\(id)/extension", token: world.managerA1Token, json: #"{"months":1,"reason":" "}"#)
            XCTAssertEqual(noReason.status, .unprocessableContent)
            let extended = try await client.call(.post, "/v1/data-subject-requests/\(id)/extension", token: world.resellerAKey,
                                                 json: #"{"months":2,"reason":"Recordings are held at three sites."}"#)
            XCTAssertEqual(extended.status, .ok, extended.body)
            XCTAssertEqual(extended.json["dueAt"] as? String, "2027-02-28T10:00:00Z")
            XCTAssertEqual(extended.json["initialDueAt"] as? String, "2026-12-30T10:00:00Z")
            let recorded = extended.json["extension"] as? [String: Any]
            XCTAssertEqual(recorded?["months"] as? Int, 2)
            XCTAssertEqual(recorded?["reason"] as? String, "Recordings are held at three sites.")
            let again = try await client.call(.post, "/v1/data-subject-requests/\(id)/extension", token: world.resellerAKey, json: #"{"months":1,"reason":"More"}"#)
            XCTAssertEqual(again.status, .conflict)
            XCTAssertEqual(again.json["type"] as? String, "urn:switchboard:problem:extension-refused")
            // A case whose month has passed can no longer be extended, and is listed as overdue.
            let late = try await Self.open(client, world, token: world.resellerAKey, extension: "110", name: "Staff reseller", right: "access",
                                           receivedAt: "2026-01-05T08:00:00Z")
            let lateID = try late.string("id")
            XCTAssertEqual(late.json["overdue"] as? Bool, true)
            let tooLate = try await client.call(.post, "/v1/data-subject-requests/\(lateID)/extension", token: world.resellerAKey, json: #"{"months":1,"reason":"Late"}"#)
            XCTAssertEqual(tooLate.status, .conflict)
            let overdue = try await client.call(.get, "/v1/data-subject-requests?due=overdue", token: world.resellerAKey)
            XCTAssertEqual(overdue.items.compactMap { $0["id"] as? String }, [lateID])
            // Every step is in the trail with who did it.
            let trail = try await client.call(.get, "/v1/audit-events?targetId=\(id)", token: world.resellerAKey)
            XCTAssertEqual(trail.items.compactMap { $0["action"] as? String }, ["data-subject-request.open", "data-subject-request.extend"])
            XCTAssertEqual(trail.items.compactMap { $0["role"] as? String }, ["sb_customer", "sb_reseller"])
        }
    }

    func testEveryRightIsAnsweredThroughItsCaseWithASignedReceipt() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let token = world.resellerAKey
            // One person per right (rectification renames, erasure anonymises: each gets its own).
            var people: [String: (id: String, extension: String, name: String)] = [:]
            for (index, right) in ["access", "portability", "rectification", "restriction", "objection", "erasure"].enumerated() {
                let number = "3\(index)0", name = "Person \(right)"
                let created = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: token,
                                                    json: #"{"fullName":"\#(name)","extension":"\#(number)","email":"p\#(index)@a1.example"}"#)
                XCTAssertEqual(created.status, .created, created.body)
                people[right] = (try created.string("id"), number, name)
            }
            _ = try await world.storeContent("voicemail", "RIFF-portable", for: people["portability"]!.id, client)
            let answers: [String: String] = [
                "access": "{}", "portability": "{}", "erasure": "{}",
                "rectification": #"{"changes":{"fullName":"Person Corrected","email":"fixed@a1.example"}}"#,
                "restriction": #"{"restrictionReason":"Accuracy contested by the person"}"#,
                "objection": #"{"marketingConsent":false,"directoryListing":"unlisted"}"#,
            ]
            for (right, person) in people {
                let opened = try await Self.open(client, world, token: token, extension: person.extension, name: person.name, right: right)
                XCTAssertEqual(opened.status, .created, "\(right): \(opened.body)")
                let id = try opened.string("id")
                // An answer that belongs to another right is refused, naming the field.
                if right == "access" {
                    let wrong = try await client.call(.post, "/v1/data-subject-requests/\(id)/fulfil", token: token, json: #"{"restrictionReason":"x"}"#)
                    XCTAssertEqual(wrong.status, .unprocessableContent)
                    XCTAssertEqual(wrong.fieldRules, ["restrictionReason/right"])
                }
                let started = try await client.call(.post, "/v1/data-subject-requests/\(id)/start", token: token)
                XCTAssertEqual(started.json["state"] as? String, "in-progress")
                let answered = try await client.call(.post, "/v1/data-subject-requests/\(id)/fulfil", token: token, json: answers[right]!)
                XCTAssertEqual(answered.status, .ok, "\(right): \(answered.body)")
                let request = answered.json["request"] as? [String: Any] ?? [:]
                XCTAssertEqual(request["state"] as? String, "completed", right)
                let outcome = request["outcome"] as? [String: Any] ?? [:]
                let receipt = answered.json["receipt"] as? [String: Any] ?? [:]
                XCTAssertEqual(outcome["receiptId"] as? String, receipt["receiptId"] as? String, right)
                XCTAssertEqual(receipt["requestId"] as? String, id)
                XCTAssertEqual(receipt["right"] as? String, right)
                // The receipt verifies under the published key, as served and as stored.
                let keys = try await Self.trustedKeys(client)
                let verdict = ReceiptVerification.verify(try Self.bytes(of: receipt), trustedKeys: keys)
                XCTAssertTrue(verdict.isValid, "\(right): \(verdict)")
                let stored = try await client.call(.get, "/v1/receipts/\(receipt["receiptId"] as! String)", token: world.managerA1Token)
                XCTAssertEqual(stored.status, .ok)
                let trusted = try await Self.trustedKeys(client)
                XCTAssertTrue(ReceiptVerification.verify(Array(stored.body.utf8), trustedKeys: trusted).isValid)
                let employee = try await client.call(.get, "/v1/employees/\(person.id)", token: token)
                switch right {
                case "access", "portability":
                    XCTAssertEqual(outcome["kind"] as? String, "export")
                    let export = answered.json["export"] as? [String: Any] ?? [:]
                    XCTAssertEqual((export["employee"] as? [String: Any])?["id"] as? String, person.id)
                    XCTAssertEqual((outcome["exportSha256"] as? String)?.count, 64)
                    if right == "portability" {
                        XCTAssertEqual((export["content"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }, ["voicemail"], "voicemails are portable")
                    }
                case "rectification":
                    XCTAssertEqual(outcome["fields"] as? [String], ["fullName", "email"])
                    XCTAssertEqual(employee.json["fullName"] as? String, "Person Corrected")
                    XCTAssertEqual(employee.json["email"] as? String, "fixed@a1.example")
                case "restriction":
                    XCTAssertEqual(employee.json["restricted"] as? Bool, true)
                    XCTAssertEqual(outcome["kind"] as? String, "restriction")
                case "objection":
                    XCTAssertEqual(employee.json["marketingConsent"] as? Bool, false)
                    XCTAssertEqual(employee.json["directoryListing"] as? String, "unlisted")
                    XCTAssertEqual(Set(outcome["fields"] as? [String] ?? []), ["marketingConsent", "directoryListing"])
                case "erasure":
                    XCTAssertEqual(employee.json["anonymised"] as? Bool, true)
                    XCTAssertNotEqual(employee.json["fullName"] as? String, person.name)
                    let anonymisation = answered.json["anonymisation"] as? [String: Any] ?? [:]
                    let signed = anonymisation["signedReceipt"] as? [String: Any] ?? [:]
                    XCTAssertEqual(signed["kind"] as? String, "anonymisation")
                    XCTAssertTrue(ReceiptVerification.verify(try Self.bytes(of: signed), trustedKeys: trusted).isValid)
                    XCTAssertEqual(receipt["outcome"].flatMap { ($0 as? [String: Any])?["anonymisationReceiptId"] as? String }, signed["receiptId"] as? String)
                default:
                    XCTFail("unexpected right \(right)")
                }
                // A completed case is final.
                let twice = try await client.call(.post, "/v1/data-subject-requests/\(id)/fulfil", token: token, json: answers[right]!)
                XCTAssertEqual(twice.status, .conflict, right)
                let refused = try await client.call(.post, "/v1/data-subject-requests/\(id)/refuse", token: token, json: #"{"reason":"late change of mind"}"#)
                XCTAssertEqual(refused.status, .conflict, right)
            }
            // The trail names each action and the case that performed it, with field names only.
            let trail = try await client.call(.get, "/v1/audit-events?action=data-subject-request.complete&limit=200", token: token)
            XCTAssertEqual(trail.items.count, 6)
            XCTAssertFalse(trail.body.contains("Person Corrected") || trail.body.contains("fixed@a1.example"))
        }
    }

    func testATamperedReceiptFailsVerificationOnlineAndWithTheCommand() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let answered = try await client.call(.post, "/v1/data-subject-requests/\(world.dataSubjectRequestA)/fulfil", token: world.resellerAKey, json: "{}")
            XCTAssertEqual(answered.status, .ok, answered.body)
            let receiptID = try XCTUnwrap((answered.json["receipt"] as? [String: Any])?["receiptId"] as? String)
            let document = try await client.call(.get, "/v1/receipts/\(receiptID)", token: world.resellerAKey).body
            let keys = try await client.call(.get, "/v1/receipts/public-key").body
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("receipt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let original = directory.appendingPathComponent("receipt.json"), tampered = directory.appendingPathComponent("tampered.json")
            let keysFile = directory.appendingPathComponent("keys.json")
            try Data(document.utf8).write(to: original)
            try Data(keys.utf8).write(to: keysFile)
            // One changed value: the right the person exercised.
            XCTAssertTrue(document.contains(#""right":"access""#))
            try Data(document.replacingOccurrences(of: #""right":"access""#, with: #""right":"erasure""#).utf8).write(to: tampered)
            XCTAssertFalse(ReceiptVerification.verify(Array(try Data(contentsOf: tampered)), trustedKeys: nil).isValid)
            let good = try Self.runVerify(original, keys: keysFile)
            XCTAssertEqual(good.status, 0, good.output)
            XCTAssertTrue(good.output.contains("trusted"), good.output)
            let bad = try Self.runVerify(tampered, keys: keysFile)
            XCTAssertEqual(bad.status, 1, bad.output)
            XCTAssertTrue(bad.output.contains("invalid"), bad.output)
            // Signed by a key the platform never published: intact, but not trusted.
            let otherKeys = directory.appendingPathComponent("other-keys.json")
            try Data(#"{"algorithm":"Ed25519","keys":[{"keyId":"\#(UUID().uuidString.lowercased())","publicKey":"\#(Data(repeating: 7, count: 32).base64EncodedString())","createdAt":"2026-01-01T00:00:00Z"}]}"#.utf8).write(to: otherKeys)
            let untrusted = try Self.runVerify(original, keys: otherKeys)
            XCTAssertEqual(untrusted.status, 1, untrusted.output)
        }
    }

    static func runVerify(_ file: URL, keys: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try ServerProcess.executable
        process.arguments = ["receipt", "verify", file.path, "--public-keys", keys.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func testListsAreByDueDateAndThePlatformSeesCountsOnly() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let now = Date()
            let formatter = ISO8601DateFormatter()
            // Due in 3 days (received 28 days ago, give or take the month's length), overdue, and not due soon.
            let soonReceived = Calendar(identifier: .gregorian).date(byAdding: .day, value: 3, to: Calendar(identifier: .gregorian).date(byAdding: .month, value: -1, to: now)!)!
            let soon = try await Self.open(client, world, token: world.resellerAKey, extension: "110", name: "Staff reseller", right: "objection",
                                           receivedAt: formatter.string(from: soonReceived))
            let overdue = try await Self.open(client, world, token: world.managerA1Token, extension: "100", name: "Staff manager", right: "access",
                                              receivedAt: formatter.string(from: now.addingTimeInterval(-40 * 86_400)))
            XCTAssertEqual(soon.status, .created, soon.body)
            XCTAssertEqual(overdue.status, .created, overdue.body)
            let all = try await client.call(.get, "/v1/data-subject-requests", token: world.resellerAKey)
            // The world's own case is due in a month; by due date: overdue, soon, then it.
            XCTAssertEqual(all.items.compactMap { $0["id"] as? String }, [try overdue.string("id"), try soon.string("id"), world.dataSubjectRequestA])
            let dueSoon = try await client.call(.get, "/v1/data-subject-requests?due=due-soon", token: world.resellerAKey)
            XCTAssertEqual(dueSoon.items.compactMap { $0["id"] as? String }, [try soon.string("id")])
            let firstPage = try await client.call(.get, "/v1/data-subject-requests?limit=2", token: world.resellerAKey)
            let cursor = try XCTUnwrap(firstPage.json["nextCursor"] as? String)
            let secondPage = try await client.call(.get, "/v1/data-subject-requests?limit=2&cursor=\(cursor)", token: world.resellerAKey)
            XCTAssertEqual(secondPage.items.compactMap { $0["id"] as? String }, [world.dataSubjectRequestA])
            let otherCustomer = try await client.call(.get, "/v1/data-subject-requests?customerId=\(world.customerA2)", token: world.resellerAKey)
            XCTAssertEqual(otherCustomer.items.count, 0)
            // The platform: one row per reseller, counts only.
            let counts = try await client.call(.get, "/v1/data-subject-request-counts", token: world.platformKey)
            XCTAssertEqual(counts.json["per"] as? String, "reseller")
            XCTAssertEqual(counts.items.count, 1)
            XCTAssertEqual(counts.items.first?["id"] as? String, world.resellerA)
            XCTAssertEqual(counts.items.first?["open"] as? Int, 3)
            XCTAssertEqual(counts.items.first?["overdue"] as? Int, 1)
            XCTAssertEqual(counts.items.first?["dueSoon"] as? Int, 1)
            for leak in [world.customerA1, world.employees["manager"]!.id, "Staff", try overdue.string("id")] {
                XCTAssertFalse(counts.body.contains(leak), "the platform's view names \(leak)")
            }
            let forPlatform = try await client.call(.get, "/v1/data-subject-requests", token: world.platformKey)
            XCTAssertEqual(forPlatform.status, .forbidden)
            let perCustomer = try await client.call(.get, "/v1/data-subject-request-counts", token: world.resellerAKey)
            XCTAssertEqual(perCustomer.items.first?["id"] as? String, world.customerA1)
        }
    }

    func testTheTrafficDataPartIsAnsweredByThePlatformWhichNeverSeesTheName() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let number = World.stockA.numbers[0]
            // The record must start after the number's assignment (whole seconds) to be attributed to A.
            try await Task.sleep(for: .milliseconds(1100))
            let day = ISO8601DateFormatter().string(from: Date()).prefix(10)
            let cdr = #"{"kind":"call","direction":"outgoing","aNumber":"\#(number)","bNumber":"+4599999999","startedAt":"\#(ISO8601DateFormatter().string(from: Date()))","durationSeconds":30}"#
            let ingest = try await client.call(.post, "/v1/platform/cdrs", token: world.platformKey, bytes: Array(cdr.utf8), headers: [.contentType: "application/x-ndjson"])
            XCTAssertEqual(ingest.status, .created, ingest.body)
            let forwarded = try await client.call(.post, "/v1/data-subject-requests/\(world.dataSubjectRequestA)/traffic-data", token: world.managerA1Token,
                                                  json: #"{"numbers":["\#(number)"],"from":"\#(day)","to":"\#(day)"}"#)
            XCTAssertEqual(forwarded.status, .created, forwarded.body)
            let queue = try await client.call(.get, "/v1/platform/traffic-data-requests?answered=false", token: world.platformKey)
            XCTAssertEqual(queue.items.count, 1)
            XCTAssertEqual(queue.items.first?["numbers"] as? [String], [number])
            XCTAssertEqual(queue.items.first?["resellerId"] as? String, world.resellerA)
            for leak in ["Staff manager", world.employees["manager"]!.id, world.customerA1] {
                XCTAssertFalse(queue.body.contains(leak), "the platform sees \(leak)")
            }
            let part = try forwarded.string("id")
            let answered = try await client.call(.post, "/v1/platform/traffic-data-requests/\(part)/answer", token: world.platformKey,
                                                 json: #"{"answer":"One call record is held under the logging duty until its 12 months end."}"#)
            XCTAssertEqual(answered.status, .ok, answered.body)
            XCTAssertEqual(answered.json["recordsHeld"] as? Int, 1)
            let twice = try await client.call(.post, "/v1/platform/traffic-data-requests/\(part)/answer", token: world.platformKey, json: #"{"answer":"again"}"#)
            XCTAssertEqual(twice.status, .conflict)
            // The reseller reads the platform's answer on its case.
            let request = try await client.call(.get, "/v1/data-subject-requests/\(world.dataSubjectRequestA)", token: world.resellerAKey)
            let parts = request.json["trafficDataRequests"] as? [[String: Any]] ?? []
            XCTAssertEqual(parts.first?["state"] as? String, "answered")
            XCTAssertEqual(parts.first?["recordsHeld"] as? Int, 1)
            // The platform's act is in its own trail, not the reseller's.
            let platformTrail = try await client.call(.get, "/v1/audit-events?action=traffic-data-request.answer", token: world.platformKey)
            XCTAssertEqual(platformTrail.items.count, 1)
            let resellerTrail = try await client.call(.get, "/v1/audit-events?action=traffic-data-request.answer", token: world.resellerAKey)
            XCTAssertEqual(resellerTrail.items.count, 0)
        }
    }
}
