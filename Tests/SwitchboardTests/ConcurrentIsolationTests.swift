import Foundation
import HummingbirdTesting
import XCTest

/// Two tenants hammering one server whose pool has two connections: settings set per transaction
/// must never leak from one request to the next on a reused connection.
final class ConcurrentIsolationTests: XCTestCase {
    func testTwoTenantsThroughTwoConnectionsNeverSeeEachOthersRows() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let (foreignRows, requests, wrongStatuses) = try await withTestApp(database, maxConnections: 2) { client -> (Int, Int, Int) in
            let world = try await World.build(client, database: database)
            for index in 0..<3 {
                _ = try await client.call(.post, "/v1/customers", token: world.resellerBKey, json: #"{"name":"B extra \#(index)"}"#)
            }
            let callers = [(world.resellerAKey, world.resellerA, world.customerB1), (world.resellerBKey, world.resellerB, world.customerA1),
                           (world.managerA1Token, world.resellerA, world.customerA2)]
            return try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
                // 16 concurrent workers × 80 rounds × 1 list + 1 foreign read = 2,560 requests.
                for worker in 0..<16 {
                    group.addTask {
                        var foreign = 0, count = 0, wrong = 0
                        for round in 0..<80 {
                            let (token, reseller, foreignCustomer) = callers[(worker + round) % callers.count]
                            let list = try await client.call(.get, "/v1/customers", token: token)
                            count += 1
                            if list.status != .ok { wrong += 1 }
                            foreign += list.items.filter { ($0["resellerId"] as? String) != reseller }.count
                            let probe = try await client.call(.get, "/v1/customers/\(foreignCustomer)", token: token)
                            count += 1
                            if probe.status != .notFound { wrong += 1; foreign += 1 }
                        }
                        return (foreign, count, wrong)
                    }
                }
                var totals = (0, 0, 0)
                for try await (foreign, count, wrong) in group {
                    totals.0 += foreign; totals.1 += count; totals.2 += wrong
                }
                return totals
            }
        }
        XCTAssertGreaterThanOrEqual(requests, 1000)
        XCTAssertEqual(foreignRows, 0, "rows of another tenant were returned")
        XCTAssertEqual(wrongStatuses, 0)
        print("concurrent isolation: \(requests) requests through a pool of 2 connections, \(foreignRows) foreign rows")
    }
}
