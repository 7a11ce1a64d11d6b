import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// Every operation in openapi.yaml × every kind of caller, with the status each must get.
/// Targets are reseller A's resources (customer A1, A's spare key), so B and A2's manager are
/// the foreign callers who must get 404, never 403.
final class AccessMatrixTests: XCTestCase {
    enum Caller: String, CaseIterable, Sendable {
        case anonymous, revokedKey, platform, resellerB, managerA2, managerA1, resellerA
    }

    struct Cell: Sendable {
        let operation: String
        let method: HTTPRequest.Method
        let path: @Sendable (World) -> String
        let body: (@Sendable (Caller) -> String)?
        let expected: [Caller: Int]
    }

    /// 401 for the two callers without a valid credential, then the given statuses.
    static func authenticated(_ statuses: [Caller: Int]) -> [Caller: Int] {
        statuses.merging([.anonymous: 401, .revokedKey: 401]) { _, unauthenticated in unauthenticated }
    }

    static func only(_ allowed: [Caller: Int], others: Int = 403) -> [Caller: Int] {
        var result = [Caller: Int]()
        for caller in Caller.allCases { result[caller] = allowed[caller] ?? others }
        return authenticated(result)
    }

    static let everyone = Caller.allCases

    static let cells: [Cell] = [
        Cell(operation: "getHealth", method: .get, path: { _ in "/health" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 200) })),
        Cell(operation: "getReady", method: .get, path: { _ in "/ready" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 200) })),
        Cell(operation: "getMe", method: .get, path: { _ in "/v1/me" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        // Logging in ignores any Authorization header: everyone with the right password gets a session.
        Cell(operation: "createSession", method: .post, path: { _ in "/v1/sessions" }, body: nil,
             expected: Dictionary(uniqueKeysWithValues: everyone.map { ($0, 201) })),
        Cell(operation: "deleteCurrentSession", method: .delete, path: { _ in "/v1/sessions/current" }, body: nil,
             expected: only([.managerA1: 204, .managerA2: 204])),
        Cell(operation: "createReseller", method: .post, path: { _ in "/v1/resellers" }, body: { _ in #"{"name":"New reseller"}"# },
             expected: only([.platform: 201])),
        Cell(operation: "listResellers", method: .get, path: { _ in "/v1/resellers" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "getReseller", method: .get, path: { "/v1/resellers/\($0.resellerA)" }, body: nil,
             expected: only([.platform: 200])),
        Cell(operation: "getReseller (unknown id)", method: .get, path: { _ in "/v1/resellers/\(UUID().uuidString.lowercased())" }, body: nil,
             expected: only([.platform: 404])),
        Cell(operation: "updateReseller", method: .patch, path: { "/v1/resellers/\($0.resellerA)" }, body: { _ in #"{"name":"Renamed"}"# },
             expected: only([.platform: 200])),
        Cell(operation: "createResellerApiKey", method: .post, path: { "/v1/resellers/\($0.resellerWithoutKey)/api-keys" }, body: { _ in #"{"name":"k"}"# },
             expected: only([.platform: 201])),
        // Only the onboarding key: a second one would let the platform act as the reseller.
        Cell(operation: "createResellerApiKey (already onboarded)", method: .post, path: { "/v1/resellers/\($0.resellerA)/api-keys" }, body: { _ in #"{"name":"k"}"# },
             expected: only([.platform: 409])),
        Cell(operation: "createApiKey", method: .post, path: { _ in "/v1/api-keys" }, body: { _ in #"{"name":"k"}"# },
             expected: only([.platform: 201, .resellerA: 201, .resellerB: 201])),
        Cell(operation: "listApiKeys", method: .get, path: { _ in "/v1/api-keys" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200])),
        // A's key is foreign to the platform's own key list and to B: 404.
        Cell(operation: "revokeApiKey", method: .delete, path: { "/v1/api-keys/\($0.resellerASpareKeyID)" }, body: nil,
             expected: only([.platform: 404, .resellerB: 404, .resellerA: 204])),
        Cell(operation: "getDpaStatus", method: .get, path: { _ in "/v1/dpa" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 200])),
        Cell(operation: "acceptDpa", method: .post, path: { _ in "/v1/dpa/acceptances" }, body: { _ in #"{"version":"2026-01"}"# },
             expected: only([.resellerA: 201, .resellerB: 201])),
        Cell(operation: "createCustomer", method: .post, path: { _ in "/v1/customers" }, body: { _ in #"{"name":"New customer"}"# },
             expected: only([.resellerA: 201, .resellerB: 201])),
        Cell(operation: "listCustomers", method: .get, path: { _ in "/v1/customers" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 200, .managerA1: 200, .managerA2: 200])),
        Cell(operation: "getCustomer", method: .get, path: { "/v1/customers/\($0.customerA1)" }, body: nil,
             expected: only([.platform: 200, .resellerA: 200, .resellerB: 404, .managerA1: 200, .managerA2: 404])),
        Cell(operation: "getCustomer (other reseller's)", method: .get, path: { "/v1/customers/\($0.customerB1)" }, body: nil,
             expected: only([.platform: 200, .resellerA: 404, .resellerB: 200, .managerA1: 404, .managerA2: 404])),
        Cell(operation: "updateCustomer", method: .patch, path: { "/v1/customers/\($0.customerA1)" }, body: { _ in #"{"name":"Renamed ApS"}"# },
             expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "terminateCustomer", method: .post, path: { "/v1/customers/\($0.customerA1)/terminate" }, body: nil,
             expected: only([.resellerA: 200, .resellerB: 404])),
        Cell(operation: "createManager", method: .post, path: { "/v1/customers/\($0.customerA1)/managers" },
             body: { #"{"email":"new-\#($0.rawValue)@a1.example","password":"correct horse battery","fullName":"New Manager"}"# },
             expected: only([.resellerA: 201, .resellerB: 404])),
    ]

    func testEveryOperationForEveryCaller() async throws {
        var failures: [String] = []
        var cellCount = 0
        for cell in Self.cells {
            let database = try await TestCluster.shared.migratedDatabase()
            let cellFailures = try await withTestApp(database) { client -> [String] in
                var failures: [String] = []
                let world = try await World.build(client, database: database)
                // The owners act last, so a cell that changes state (revoke, terminate, log out) cannot affect another caller's cell.
                for caller in Caller.allCases {
                    let token: String? = switch caller {
                    case .anonymous: nil
                    case .revokedKey: world.revokedKey
                    case .platform: world.platformKey
                    case .resellerA: world.resellerAKey
                    case .resellerB: world.resellerBKey
                    case .managerA1: world.managerA1Token
                    case .managerA2: world.managerA2Token
                    }
                    let body = cell.operation == "createSession"
                        ? #"{"email":"\#(world.managerA1Email)","password":"\#(World.password)"}"#
                        : cell.body?(caller)
                    let reply = try await client.call(cell.method, cell.path(world), token: token, json: body)
                    let expected = cell.expected[caller]!
                    if reply.status.code != expected {
                        failures.append("\(cell.operation) as \(caller): expected \(expected), got \(reply.status.code) \(reply.body.prefix(200))")
                    }
                    if reply.status.code >= 400 {
                        XCTAssertEqual(reply.headers[.contentType], "application/problem+json", "\(cell.operation) as \(caller)")
                    }
                }
                return failures
            }
            failures += cellFailures
            cellCount += Caller.allCases.count
        }
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
        XCTAssertEqual(cellCount, Self.cells.count * 7)
        print("access matrix: \(Self.cells.count) rows × \(Caller.allCases.count) callers = \(cellCount) cells")
    }

    /// The matrix covers every operation the contract declares.
    func testMatrixCoversEveryOperationInTheContract() throws {
        let spec = try String(contentsOf: TestCluster.repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let declared = Set(spec.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("operationId:") else { return nil }
            return trimmed.dropFirst("operationId:".count).trimmingCharacters(in: .whitespaces)
        })
        let covered = Set(Self.cells.map { String($0.operation.split(separator: " ").first!) })
        XCTAssertEqual(declared.subtracting(covered), [], "operations missing from the access matrix")
        XCTAssertGreaterThanOrEqual(declared.count, 21)
    }
}
