import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import XCTest

/// Well-formed requests the database used to refuse after the server accepted them, each of
/// which answered 500 (issue 11, point 5): now a 4xx naming the field, or accepted and stored.
final class InputHardeningTests: XCTestCase {
    /// 150 grapheme clusters, 300 code points: under the old Swift count, over the database's.
    static let combiningName = String(repeating: "e\u{301}", count: 150)
    /// 40 family emoji, each one grapheme of 7 code points (4 people, 3 zero-width joiners).
    static let emojiName = String(repeating: "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}", count: 40)

    static func jsonString(_ value: String) -> String {
        String(data: try! JSONEncoder().encode(value), encoding: .utf8)!
    }

    func testNamesAreMeasuredInCodePointsAsTheDatabaseMeasuresThem() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["reseller"]!.id
            for name in [Self.combiningName, Self.emojiName] {
                let quoted = Self.jsonString(name)
                let attempts: [(String, Reply, String)] = [
                    ("createEmployee", try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey,
                                                             json: #"{"fullName":\#(quoted),"extension":"555"}"#), "fullName"),
                    ("updateEmployee", try await client.patchReadingETag("/v1/employees/\(employee)", token: world.resellerAKey,
                                                                         json: #"{"fullName":\#(quoted)}"#), "fullName"),
                    ("createCustomer", try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":\#(quoted)}"#), "name"),
                    ("createReseller", try await client.call(.post, "/v1/resellers", token: world.platformKey, json: #"{"name":\#(quoted)}"#), "name"),
                    ("createManager", try await client.call(.post, "/v1/customers/\(world.customerA1)/managers", token: world.resellerAKey,
                                                            json: #"{"email":"cp@a1.example","password":"\#(World.password)","fullName":\#(quoted)}"#), "fullName"),
                    ("restrictEmployee", try await client.call(.post, "/v1/employees/\(employee)/restriction", token: world.resellerAKey,
                                                               json: #"{"reason":\#(Self.jsonString(name + name))}"#), "reason"),
                ]
                for (operation, reply, field) in attempts {
                    XCTAssertEqual(reply.status, .unprocessableContent, "\(operation): \(reply.body)")
                    XCTAssertEqual(reply.fieldRules, ["\(field)/maxLength"], operation)
                }
            }
            // At the limit in code points, the same kind of name is stored exactly as sent.
            let atLimit = String(repeating: "e\u{301}", count: 100)
            let created = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey,
                                                json: #"{"fullName":\#(Self.jsonString(atLimit)),"extension":"556"}"#)
            XCTAssertEqual(created.status, .created, created.body)
            XCTAssertEqual(created.json["fullName"] as? String, atLimit)
        }
    }

    func testBidirectionalOverridesAndControlCharactersAreRefused() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for name in ["Ann\u{202E}nnA", "Ann\u{2066}x", "Ann\u{0}", "Ann\u{85}Berg", "Ann\u{7F}"] {
                let reply = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey,
                                                  json: #"{"fullName":\#(Self.jsonString(name)),"extension":"557"}"#)
                XCTAssertEqual(reply.status, .unprocessableContent, reply.body)
                XCTAssertEqual(reply.fieldRules, ["fullName/format"])
            }
            // Joiners and marks that real names and emoji need stay allowed; surrounding spaces of any kind are trimmed.
            let reply = try await client.call(.post, "/v1/customers/\(world.customerA1)/employees", token: world.resellerAKey,
                                              json: #"{"fullName":\#(Self.jsonString("\u{3000}\u{A0}Zo\u{308}e \u{1F469}\u{200D}\u{1F4BB}\u{2003}")),"extension":"558"}"#)
            XCTAssertEqual(reply.status, .created, reply.body)
            XCTAssertEqual(reply.json["fullName"] as? String, "Zo\u{308}e \u{1F469}\u{200D}\u{1F4BB}")
        }
    }

    func testNULAndOverlongSearchTermsAre400NamingTheParameter() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let path = "/v1/customers/\(world.customerA1)/employees"
            for query in ["q=%00", "q=Ann%00", "q=%E2%80%AE", "q=\(String(repeating: "x", count: 101))"] {
                let reply = try await client.call(.get, "\(path)?\(query)", token: world.resellerAKey)
                try assertProblem(TestResponseShim(reply), status: .badRequest)
                XCTAssertEqual(reply.fieldRules.map { $0.split(separator: "/").first.map(String.init) }, ["q"], query)
            }
            let fine = try await client.call(.get, "\(path)?q=\(String(repeating: "x", count: 100))", token: world.resellerAKey)
            XCTAssertEqual(fine.status, .ok)
        }
    }

    /// The UUID parser stops at a NUL: `<id>%00garbage` answered 200 with the record (found by attack).
    func testAPathIdWithANULOrTrailingTextIs400() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let employee = world.employees["manager"]!.id
            for path in ["/v1/employees/\(employee)%00garbage", "/v1/customers/\(world.customerA1)%00zzz", "/v1/customers/\(world.customerA1)%00zzz/employees"] {
                let reply = try await client.call(.get, path, token: world.resellerAKey)
                XCTAssertEqual(reply.status, .badRequest, "\(path): \(reply.body)")
            }
        }
    }

    func testContentParametersOutsideTheContractAre400() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let base = "/v1/telephony/employees/\(world.employees["manager"]!.id)/content?kind=voicemail"
            let cases: [(String, String)] = [
                ("callerNumber=abc", "callerNumber/pattern"), ("callerNumber=%2B", "callerNumber/pattern"),
                ("callerNumber=1234567890123456", "callerNumber/pattern"), ("callerNumber=12%00", "callerNumber/pattern"),
                ("durationSeconds=-1", "durationSeconds/range"), ("durationSeconds=86401", "durationSeconds/range"),
                ("durationSeconds=9999999999", "durationSeconds/range"),
            ]
            for (query, rule) in cases {
                let reply = try await client.execute(uri: "\(base)&\(query)", method: .post,
                                                     headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"],
                                                     body: ByteBuffer(string: "RIFF")) { Reply(status: $0.status, body: String(buffer: $0.body), headers: $0.headers) }
                try assertProblem(TestResponseShim(reply), status: .badRequest)
                XCTAssertEqual(reply.fieldRules, [rule], query)
            }
            let fine = try await client.execute(uri: "\(base)&callerNumber=%2B4512345678&durationSeconds=86400", method: .post,
                                                headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"],
                                                body: ByteBuffer(string: "RIFF")) { $0.status }
            XCTAssertEqual(fine, .created)
        }
    }

    func testTrafficParametersOutsideTheContractAre400() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for number in ["abc", "%2B0123456789", "%2B1", "4512345678"] {
                let reply = try await client.call(.get, "/v1/platform/cdrs?number=\(number)", token: world.platformKey)
                try assertProblem(TestResponseShim(reply), status: .badRequest)
                XCTAssertEqual(reply.fieldRules, ["number/pattern"], number)
            }
            let grouped = try await client.call(.get, "/v1/platform/analytics/traffic?from=2026-11-01&to=2026-11-02&groupBy=kind,kind,country,reseller",
                                                token: world.platformKey)
            try assertProblem(TestResponseShim(grouped), status: .badRequest)
            XCTAssertEqual(grouped.fieldRules, ["groupBy/maxItems"])
        }
    }

    /// Numbers JSON allows but Swift's integers do not hold, or hold differently: never a 500.
    func testExoticJSONNumbersNeverAnswer500() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let lengths = ["1e400", "-1e400", "99999999999999999999", "-0", "2.0", "2.5", "1E1", "-9223372036854775808", "9223372036854775807", "0.0000001"]
            for value in lengths {
                for json in [#"{"name":"N ApS","extensionLength":{"min":\#(value),"max":6}}"#, #"{"name":"N ApS","extensionLength":{"min":2,"max":\#(value)}}"#] {
                    let reply = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: json)
                    XCTAssertLessThan(reply.status.code, 500, "\(json): \(reply.body)")
                    // Numbers JSON's grammar allows but no Swift integer holds are refused by the decoder as a
                    // whole-body syntax error today; naming their field is the decoding problem's work (point 10).
                    if reply.status.code >= 400 { XCTAssertTrue([400, 422].contains(reply.status.code), json) }
                }
            }
        }
    }
}
