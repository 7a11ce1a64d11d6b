import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
import SwitchboardStore
import Synchronization
import XCTest

/// Issue 11 point 4: nothing of a request's body is read before its caller is authenticated,
/// authorised and within the size limit.
final class AdmissionTests: XCTestCase {
    /// The bound stated for the flood: 50 uploads of 10 MiB held whole would be 500 MiB.
    static let floodMemoryBound = 100 << 20

    func testUnauthenticatedUploadFloodIsRefusedWithoutHoldingTheBodies() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let upload = FileManager.default.temporaryDirectory.appendingPathComponent("flood-\(UUID().uuidString).bin")
        try Data(repeating: 0x52, count: APIService.maxAudioBytes).write(to: upload)
        defer { try? FileManager.default.removeItem(at: upload) }
        try await withTestApp(database, mode: .live) { client in
            let port = try XCTUnwrap(client.port)
            let employee = UUID().apiString
            // Warm up the paths the flood takes, so the baseline already holds their code and pools.
            let warm = try await WireClients.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:", "-H", "Content-Type: audio/wav",
                                                   "--data-binary", "@\(upload.path)", "http://127.0.0.1:\(port)/v1/telephony/employees/\(employee)/content?kind=voicemail"])
            XCTAssertEqual(warm, "401")
            let baseline = WireClients.residentBytes()
            let peak = PeakRecorder()
            let sampler = Task {
                while !Task.isCancelled {
                    peak.record(WireClients.residentBytes())
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await WireClients.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:", "-H", "Content-Type: audio/wav",
                                                    "--data-binary", "@\(upload.path)",
                                                    "http://127.0.0.1:\(port)/v1/telephony/employees/\(employee)/content?kind=voicemail"])
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            sampler.cancel()
            _ = await sampler.result
            peak.record(WireClients.residentBytes())
            XCTAssertEqual(statuses, Array(repeating: "401", count: 50))
            let growth = peak.value - baseline
            print("upload flood: baseline RSS \(baseline >> 20) MiB, peak \(peak.value >> 20) MiB, growth \(growth >> 20) MiB (bound \(Self.floodMemoryBound >> 20) MiB)")
            XCTAssertLessThan(growth, Self.floodMemoryBound, "resident memory grew by \(growth >> 20) MiB during the flood")
        }
    }

    func testWrongRoleUploadIsRefusedBeforeItsBodyArrives() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, mode: .live) { client in
            let world = try await World.build(client, database: database)
            let port = try XCTUnwrap(client.port)
            // A reseller may not store telephony content: 403 while 10 MiB are still announced and unsent.
            let head = "POST /v1/telephony/employees/\(world.employees["manager"]!.id)/content?kind=voicemail HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer \(world.resellerAKey)\r\nContent-Type: audio/wav\r\nContent-Length: \(APIService.maxAudioBytes)\r\n\r\n"
            let answer = await WireClients.partialUpload(port: port, head: head, bodyPrefix: Array("RIFF".utf8))
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 403"), "answer before the body was sent: \(answer.prefix(200))")
            // The same for a JSON body the generated code would decode: the platform may not create customers.
            let json = "POST /v1/customers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(world.platformKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            let jsonAnswer = await WireClients.partialUpload(port: port, head: json, bodyPrefix: Array(#"{"name":"#.utf8))
            XCTAssertTrue(jsonAnswer.hasPrefix("HTTP/1.1 403"), jsonAnswer)
        }
    }

    func testChunkedUploadWithoutCredentialsIsRefusedBeforeItsBodyArrives() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, mode: .live) { client in
            let port = try XCTUnwrap(client.port)
            for credential in ["", "Authorization: Bearer sbr_no_such_key_0000000000000000\r\n", "Authorization: Basic Zm9vOmJhcg==\r\n"] {
                let head = "POST /v1/telephony/employees/\(UUID().apiString)/content?kind=voicemail HTTP/1.1\r\nHost: localhost\r\n\(credential)"
                    + "Content-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n"
                let answer = await WireClients.partialUpload(port: port, head: head, bodyPrefix: Array("4\r\nRIFF\r\n".utf8))
                XCTAssertTrue(answer.hasPrefix("HTTP/1.1 401"), "\(credential): \(answer.prefix(200))")
                XCTAssertTrue(answer.lowercased().contains("www-authenticate: bearer"), answer)
            }
        }
    }

    /// Counting as it streams keeps the limit for bodies that declare no length (guards the move
    /// of the limit from the boundary middleware to the gate).
    func testChunkedBodyOverTheLimitIsStillRefused() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let headers: HTTPFields = [.authorization: "Bearer \(world.resellerAKey)", .contentType: "application/json", .transferEncoding: "chunked"]
            try await client.execute(uri: "/v1/customers", method: .post, headers: headers,
                                     body: ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 10)) { response in
                XCTAssertEqual(response.status, .contentTooLarge, String(buffer: response.body))
            }
        }
    }

    /// A key revoked a moment ago fails on its very next upload: the gate resolves afresh.
    func testRevokedKeyFailsOnItsNextUpload() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let key = try await client.call(.post, "/v1/api-keys", token: world.resellerAKey, json: #"{"name":"short-lived"}"#)
            let secret = try key.string("secret")
            let before = try await client.call(.post, "/v1/customers", token: secret, json: #"{"name":"Before ApS"}"#)
            XCTAssertEqual(before.status, .created, before.body)
            let revoked = try await client.call(.delete, "/v1/api-keys/\(try key.string("id"))", token: world.resellerAKey)
            XCTAssertEqual(revoked.status, .noContent)
            let after = try await client.call(.post, "/v1/customers", token: secret, json: #"{"name":"After ApS"}"#)
            XCTAssertEqual(after.status, .unauthorized, after.body)
        }
    }

    /// Every route the contract declares has its access rule, and no rule names a route that is not
    /// in the contract.
    func testEveryContractRouteHasExactlyOneAccessRule() throws {
        let spec = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var routes = Set<String>()
        var currentPath: String?
        var inPaths = false
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, !line.isEmpty, !line.hasPrefix(" "), !line.hasPrefix("#") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let word = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "patch", "delete"].contains(word), line.hasSuffix(":") {
                    routes.insert("\(word.uppercased()) \(path)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(routes.count, 40)
        XCTAssertEqual(routes.subtracting(OperationAccess.byRoute.keys), [], "routes without an access rule")
        XCTAssertEqual(Set(OperationAccess.byRoute.keys).subtracting(routes), [], "access rules for routes the contract does not have")
    }

    /// Registering a route without a rule fails, so a new operation cannot be served unguarded.
    func testARouteWithoutAnAccessRuleCannotBeRegistered() throws {
        let pool = PostgresClient(configuration: .init(host: "127.0.0.1", username: "nobody", password: nil, database: nil, tls: .disable))
        let database = ScopedDatabase(client: pool)
        let authenticator = Authenticator(database: database, credentials: CredentialResolver(database: database, cache: CredentialCache()), passwords: testPasswordHasher)
        let transport = MethodAwareTransport(router: Router(context: AppRequestContext.self), gate: OperationGate(authenticator: authenticator, bodyLimit: { _ in 1 }))
        XCTAssertThrowsError(try transport.register({ _, _, _ in (HTTPResponse(status: .ok), nil) }, method: .post, path: "/v1/unguarded")) { error in
            XCTAssertTrue(error is OperationAccessMissing, "\(error)")
        }
        XCTAssertNoThrow(try transport.register({ _, _, _ in (HTTPResponse(status: .ok), nil) }, method: .get, path: "/health"))
    }
}

/// The largest value recorded, from any task.
final class PeakRecorder: Sendable {
    private let storage = Mutex(0)
    func record(_ value: Int) { storage.withLock { $0 = max($0, value) } }
    var value: Int { storage.withLock { $0 } }
}
