import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
@testable import SwitchboardAPI
import XCTest

/// Issue 11 point 6: the contract's response headers reach the wire exactly as written.
final class WireHeadersTests: XCTestCase {
    func testETagLocationAndContentDispositionArriveVerbatimToCurl() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, mode: .live) { client in
            let world = try await World.build(client, database: database)
            let base = "http://127.0.0.1:\(try XCTUnwrap(client.port))"
            let auth = "Authorization: Bearer \(world.resellerAKey)"

            let created = WireClients.headers(ofIncluded: try await WireClients.curl([
                "--include", "-H", auth, "-H", "Content-Type: application/json", "--data", #"{"fullName":"Wire Person","extension":"4242"}"#,
                "\(base)/v1/customers/\(world.customerA1)/employees",
            ]))
            XCTAssertEqual(created.status, 201)
            let location = try XCTUnwrap(created.fields["location"])
            XCTAssertNotNil(location.wholeMatch(of: /\/v1\/employees\/[0-9a-f-]{36}/), location)
            XCTAssertNotNil(created.fields["etag"]?.wholeMatch(of: /"[0-9]+"/), "\(created.fields)")

            // Following Location with a standard client reaches the new employee, whose ETag is an RFC 9110 entity tag.
            let followed = WireClients.headers(ofIncluded: try await WireClients.curl(["--include", "-H", auth, base + location]))
            XCTAssertEqual(followed.status, 200)
            let etag = try XCTUnwrap(followed.fields["etag"])
            XCTAssertNotNil(etag.wholeMatch(of: /"[0-9]+"/), etag)
            // It works as a validator as written: If-Match with the wire value is accepted.
            let patched = WireClients.headers(ofIncluded: try await WireClients.curl([
                "--include", "-X", "PATCH", "-H", auth, "-H", "If-Match: \(etag)", "-H", "Content-Type: application/json",
                "--data", #"{"fullName":"Wire Person Renamed"}"#, base + location,
            ]))
            XCTAssertEqual(patched.status, 200)

            let seeded = world.employees["reseller"]!
            let download = WireClients.headers(ofIncluded: try await WireClients.curl([
                "--include", "-o", "-", "-H", auth, "\(base)/v1/employees/\(seeded.id)/content/\(seeded.voicemail)",
            ]))
            XCTAssertEqual(download.status, 200)
            XCTAssertEqual(download.fields["content-disposition"], "attachment; filename=\"voicemail-\(seeded.voicemail).wav\"")
        }
    }

    /// Every response header the contract declares is restored by the transport.
    func testEveryDeclaredResponseHeaderIsRestored() throws {
        let spec = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        // Response headers appear under `headers:` blocks as `<indent>Name:` entries, or as refs to components/headers.
        var declared = Set<String>()
        var headersIndent: Int?
        for line in spec.split(separator: "\n") {
            let indent = line.prefix(while: { $0 == " " }).count
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            // `components: headers:` (indent 2) names reusable definitions, not headers; responses use them by `$ref`.
            if trimmed == "headers:" { headersIndent = indent > 2 ? indent : nil; continue }
            guard let open = headersIndent else { continue }
            if indent <= open { headersIndent = nil; continue }
            if indent == open + 2, trimmed.hasSuffix(":") { declared.insert(String(trimmed.dropLast()).lowercased()) }
        }
        XCTAssertTrue(declared.contains("etag"), "\(declared)")
        let restored = Set(ContractResponseHeaders.names.map { $0.canonicalName })
        XCTAssertEqual(declared.subtracting(restored), [], "declared response headers the transport does not restore")
    }
}

/// Issue 11 point 10: headers every response carries, errors that name the parameter, and the
/// caller judged before the parameters.
final class ResponseHygieneTests: XCTestCase {
    func testNosniffOnEveryResponseAndNoStoreOnEveryV1Response() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let probes: [(HTTPRequest.Method, String, String?, Int)] = [
                (.get, "/health", nil, 200), (.post, "/health", nil, 405), (.get, "/no/such/route", nil, 404),
                (.get, "/v1/me", nil, 401), (.get, "/v1/me", world.resellerAKey, 200), (.get, "/v1/customers?limit=abc", world.resellerAKey, 400),
                (.get, "/v1/resellers", world.resellerAKey, 403), (.get, "/v1/api-keys", world.resellerAKey, 200),
            ]
            for (method, path, token, status) in probes {
                let reply = try await client.call(method, path, token: token)
                XCTAssertEqual(reply.status.code, status, "\(method) \(path): \(reply.body)")
                XCTAssertEqual(reply.headers[.xContentTypeOptions], "nosniff", "\(method) \(path)")
                XCTAssertEqual(reply.headers[.cacheControl], path.hasPrefix("/v1/") ? "no-store" : nil, "\(method) \(path)")
            }
            // A session token in a 201 is a secret too.
            let login = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#)
            XCTAssertEqual(login.status, .created)
            XCTAssertEqual(login.headers[.cacheControl], "no-store")
        }
    }

    func testParameterErrorsNameTheParameterAndBodyErrorsSayBody() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let cases: [(String, String, String)] = [
                ("/v1/customers?limit=abc", world.resellerAKey, "limit"),
                ("/v1/customers/\(world.customerA1)/employees?limit=1.5", world.resellerAKey, "limit"),
                ("/v1/platform/cdrs?number=%2B4512345678&from=2026-13-45", world.platformKey, "from"),
                ("/v1/platform/cdrs?number=%2B4512345678&from=2026-01-01T00:00:00Z&to=yesterday", world.platformKey, "to"),
                ("/v1/platform/analytics/traffic?from=2026-11-01&to=2026-11-30&groupBy=reseller,planet", world.platformKey, "groupBy"),
            ]
            for (path, token, field) in cases {
                let reply = try await client.call(.get, path, token: token)
                XCTAssertEqual(reply.status, .badRequest, "\(path): \(reply.body)")
                XCTAssertEqual(reply.fieldRules.map { $0.split(separator: "/").first.map(String.init) ?? "" }, [field], "\(path): \(reply.body)")
                XCTAssertTrue((reply.json["detail"] as? String ?? "").contains("'\(field)'"), "\(path): \(reply.body)")
                XCTAssertFalse(reply.body.contains("body"), "\(path): \(reply.body)")
            }
            let telephony = try await client.execute(uri: "/v1/telephony/employees/\(world.employees["manager"]!.id)/content?kind=fax", method: .post,
                                                     headers: [.authorization: "Bearer \(world.telephonyKey)", .contentType: "audio/wav"], body: ByteBuffer(string: "RIFF")) {
                Reply(status: $0.status, body: String(buffer: $0.body), headers: $0.headers)
            }
            XCTAssertEqual(telephony.status, .badRequest, telephony.body)
            XCTAssertEqual(telephony.fieldRules, ["kind/format"], telephony.body)

            let notJSON = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: "{not json")
            XCTAssertEqual(notJSON.status, .badRequest, notJSON.body)
            XCTAssertEqual(notJSON.fieldRules, ["body/syntax"], notJSON.body)
            let wrongType = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: "[1]")
            XCTAssertEqual(wrongType.status, .badRequest, wrongType.body)
            XCTAssertEqual(wrongType.fieldRules, ["body/type"], wrongType.body)
        }
    }

    func testTheCallerIsJudgedBeforeTheParameters() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let cases: [(String, String?, HTTPResponse.Status)] = [
                ("/v1/customers?limit=abc", nil, .unauthorized),
                ("/v1/customers?limit=abc", world.revokedKey, .unauthorized),
                ("/v1/customers?limit=abc", world.telephonyKey, .forbidden),
                ("/v1/customers?limit=abc", world.resellerAKey, .badRequest),
                ("/v1/customers?limit=0", nil, .unauthorized),
                ("/v1/platform/cdrs?number=%2B4512345678&from=nonsense", nil, .unauthorized),
                ("/v1/platform/cdrs?number=%2B4512345678&from=nonsense", world.resellerAKey, .forbidden),
                ("/v1/platform/analytics/traffic?from=2026-11-01&to=2026-11-30&groupBy=planet", world.managerA1Token, .forbidden),
                ("/v1/usage?month=2026-13", world.platformKey, .forbidden),
                ("/v1/employees/not-a-uuid", nil, .unauthorized),
                ("/v1/employees/not-a-uuid", world.platformKey, .forbidden),
            ]
            for (path, token, status) in cases {
                let reply = try await client.call(.get, path, token: token)
                XCTAssertEqual(reply.status, status, "\(path) as \(token.map { String($0.prefix(4)) } ?? "anonymous"): \(reply.body)")
            }
            // A missing required parameter of an upload: the wrong role hears 403, not which parameter is missing.
            let upload = try await client.execute(uri: "/v1/telephony/employees/\(world.employees["manager"]!.id)/content", method: .post,
                                                  headers: [.authorization: "Bearer \(world.resellerAKey)", .contentType: "audio/wav"], body: ByteBuffer(string: "RIFF")) { $0.status }
            XCTAssertEqual(upload, .forbidden)
            // A change without If-Match: only a caller who may make it hears about the missing precondition.
            let employee = "/v1/employees/\(world.employees["manager"]!.id)"
            for (token, status) in [(nil, HTTPResponse.Status.unauthorized), (world.platformKey, .forbidden), (world.resellerAKey, .preconditionRequired)] as [(String?, HTTPResponse.Status)] {
                let reply = try await client.call(.patch, employee, token: token)
                XCTAssertEqual(reply.status, status, "PATCH without If-Match as \(token.map { String($0.prefix(4)) } ?? "anonymous"): \(reply.body)")
            }
        }
    }
}
