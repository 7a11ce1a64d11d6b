import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import SwitchboardAPI
import XCTest

/// No change overwrites one its client has not seen (issue 11, point 8): every PATCH of an
/// ETag-carrying resource requires `If-Match`; a stale one answers 412 with the current ETag.
final class PreconditionTests: XCTestCase {
    /// Each PATCH in the contract, with the credential that may make it and a harmless change.
    static func patches(_ world: World) -> [(uri: String, token: String, json: String, field: String)] {
        [
            ("/v1/resellers/\(world.resellerA)", world.platformKey, #"{"name":"Renamed reseller"}"#, "name"),
            ("/v1/customers/\(world.customerA1)", world.resellerAKey, #"{"name":"Renamed ApS"}"#, "name"),
            ("/v1/employees/\(world.employees["manager"]!.id)", world.managerA1Token, #"{"fullName":"Renamed person"}"#, "fullName"),
        ]
    }

    func testAPatchWithoutIfMatchIs428AndChangesNothing() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for patch in Self.patches(world) {
                let before = try await client.call(.get, patch.uri, token: patch.token)
                for ifMatch in [nil, "*", " "] as [String?] {
                    let reply = try await client.call(.patch, patch.uri, token: patch.token, json: patch.json,
                                                      headers: ifMatch.map { [.ifMatch: $0] } ?? [:])
                    try assertProblem(TestResponseShim(reply), status: .preconditionRequired)
                    XCTAssertEqual(reply.json["type"] as? String, "urn:switchboard:problem:precondition-required", patch.uri)
                    XCTAssertEqual(reply.fieldRules, ["If-Match/required"], patch.uri)
                }
                let after = try await client.call(.get, patch.uri, token: patch.token)
                XCTAssertEqual(after.headers[.eTag], before.headers[.eTag], "\(patch.uri) unchanged")
                XCTAssertEqual(after.json[patch.field] as? String, before.json[patch.field] as? String, patch.uri)
            }
        }
    }

    func testAStaleIfMatchIs412CarryingTheCurrentETag() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            for patch in Self.patches(world) {
                let stale = try await client.currentETag(patch.uri, token: patch.token)
                let first = try await client.call(.patch, patch.uri, token: patch.token, json: patch.json, headers: [.ifMatch: stale])
                XCTAssertEqual(first.status, .ok, first.body)
                let second = try await client.call(.patch, patch.uri, token: patch.token, json: #"{"\#(patch.field)":"Lost update"}"#,
                                                   headers: [.ifMatch: stale])
                try assertProblem(TestResponseShim(second), status: .preconditionFailed)
                XCTAssertEqual(second.json["type"] as? String, "urn:switchboard:problem:stale-etag")
                let current = try await client.currentETag(patch.uri, token: patch.token)
                XCTAssertEqual(second.headers[.eTag], current, "\(patch.uri): the 412 names the current version")
                XCTAssertNotEqual(current, stale)
                // The ETag the 412 gave is good for the retry.
                let fresh = try XCTUnwrap(second.headers[.eTag])
                // Strong comparison (RFC 9110): weak, unquoted or padded forms of the current tag never match.
                let bare = String(fresh.dropFirst().dropLast())
                for lookalike in ["W/\(fresh)", bare, "\"0\(bare)\"", "\"\(bare)", "\"+\(bare)\""] {
                    let refused = try await client.call(.patch, patch.uri, token: patch.token, json: patch.json, headers: [.ifMatch: lookalike])
                    XCTAssertEqual(refused.status, .preconditionFailed, "\(patch.uri) If-Match: \(lookalike)")
                }
                let retry = try await client.call(.patch, patch.uri, token: patch.token, json: patch.json, headers: [.ifMatch: fresh])
                XCTAssertEqual(retry.status, .ok, retry.body)
            }
        }
    }

    /// The middleware's list is exactly the operations whose contract requires `If-Match`, each
    /// documents 412 and 428, and every PATCH is among them.
    func testEveryContractOperationWithIfMatchIsGuarded() throws {
        let spec = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations: [(method: String, id: String, text: String)] = []
        var method = ""
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("    "), !line.hasPrefix("     "), ["get:", "post:", "put:", "patch:", "delete:"].contains(trimmed) {
                method = String(trimmed.dropLast())
            } else if trimmed.hasPrefix("operationId:") {
                operations.append((method, trimmed.dropFirst("operationId:".count).trimmingCharacters(in: .whitespaces), ""))
            } else if line.hasPrefix("  ") && !line.hasPrefix("   ") {
                method = ""  // the next path or section
            }
            if !operations.isEmpty, !method.isEmpty, !trimmed.hasPrefix("operationId:") { operations[operations.count - 1].text += trimmed + "\n" }
        }
        let withIfMatch = Set(operations.filter { $0.text.contains("#/components/parameters/IfMatch") }.map(\.id))
        XCTAssertEqual(withIfMatch, IfMatchRequiredMiddleware.operations)
        for operation in operations where withIfMatch.contains(operation.id) {
            XCTAssertTrue(operation.text.contains("'412':"), operation.id)
            XCTAssertTrue(operation.text.contains("'428':"), operation.id)
        }
        let patches = Set(operations.filter { $0.method == "patch" }.map(\.id))
        XCTAssertFalse(patches.isEmpty)
        XCTAssertTrue(patches.isSubset(of: withIfMatch), "every PATCH requires If-Match: \(patches.subtracting(withIfMatch))")
        XCTAssertTrue(spec.contains("      required: true\n      description: The ETag last read"), "If-Match is marked required")
    }
}
