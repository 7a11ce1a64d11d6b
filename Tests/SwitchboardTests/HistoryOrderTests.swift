import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// Consent and directory-listing history is in the order the changes committed, so its newest
/// entry per preference is always the current value (issue 11, point 7).
final class HistoryOrderTests: XCTestCase {
    /// 30 clients change one employee at once, each retrying on 412 with the ETag it is given,
    /// through a pool of 8 connections.
    func testThirtyConcurrentChangesLeaveTheNewestEntryEqualToTheCurrentState() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, maxConnections: 8) { client in
            let world = try await World.build(client, database: database)
            let id = world.employees["reseller"]!.id
            let uri = "/v1/employees/\(id)"
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<30 {
                    group.addTask {
                        let body = #"{"marketingConsent":\#(writer % 2 == 0),"directoryListing":"\#(writer % 3 == 0 ? "listed" : "unlisted")"}"#
                        var etag = try await client.currentETag(uri, token: world.resellerAKey)
                        for attempt in 1...200 {
                            let reply = try await client.call(.patch, uri, token: world.resellerAKey, json: body, headers: [.ifMatch: etag])
                            if reply.status == .ok { return attempt }
                            guard reply.status == .preconditionFailed, let current = reply.headers[.eTag] else {
                                throw TestFailure("writer \(writer): \(reply.status.code) \(reply.body)")
                            }
                            etag = current
                        }
                        throw TestFailure("writer \(writer) never got its change in")
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            XCTAssertEqual(applied.count, 30)

            let current = try await client.call(.get, uri, token: world.resellerAKey)
            let export = try await client.call(.get, "\(uri)/export", token: world.resellerAKey)
            XCTAssertEqual(export.status, .ok)
            let history = (export.json["preferenceHistory"] as? [[String: Any]]) ?? []
            XCTAssertGreaterThan(history.count, 1)
            let sequence = history.compactMap { $0["sequence"] as? Int }
            XCTAssertEqual(sequence.count, history.count, "every entry has its place")
            XCTAssertEqual(sequence, Array(1...history.count), "the sequence has no duplicates or gaps and is the order shown")
            let newestConsent = history.last { $0["preference"] as? String == "marketingConsent" }?["value"] as? String
            let newestListing = history.last { $0["preference"] as? String == "directoryListing" }?["value"] as? String
            XCTAssertEqual(newestConsent, String(try XCTUnwrap(current.json["marketingConsent"] as? Bool)))
            XCTAssertEqual(newestListing, try XCTUnwrap(current.json["directoryListing"] as? String))
        }
    }

    /// The race itself, made deterministic: a change whose transaction started first but committed
    /// last is the newest entry. Ordered by the transaction's start time, it came out second-newest.
    func testAChangeThatStartedFirstButCommittedLastIsTheNewestEntry() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let world = try await withTestApp(database) { client in try await World.build(client, database: database) }
        let employee = try XCTUnwrap(UUID(uuidString: world.employees["reseller"]!.id))
        let reseller = try XCTUnwrap(UUID(uuidString: world.resellerA))
        let principal = Principal.resellerKey(UUID(), reseller: reseller)
        let history = try await database.withRunningApplicationClient(maxConnections: 2) { pool -> [PreferenceChange] in
            let scoped = ScopedDatabase(client: pool)
            let (begun, begunSignal) = AsyncStream<Void>.makeStream()
            let (otherCommitted, otherCommittedSignal) = AsyncStream<Void>.makeStream()
            @Sendable func change(consent: Bool, on connection: PostgresConnection) async throws {
                let employees = EmployeeRepository(connection, logger: TestCluster.logger, tenant: reseller)
                let locked = try await employees.lock(employee)
                var changes = EmployeeChanges()
                changes.marketingConsent = consent
                _ = try await employees.update(employee, changes, expectedVersion: nil, locked: locked, by: principal.id, role: "sb_reseller")
            }
            async let early: Void = scoped.transaction(.principal(principal), logger: TestCluster.logger) { connection in
                _ = try await connection.query("SELECT now()", logger: TestCluster.logger).collect()  // the transaction has started
                begunSignal.yield()
                for await _ in otherCommitted { break }
                try await change(consent: false, on: connection)
            }
            for await _ in begun { break }
            try await scoped.transaction(.principal(principal), logger: TestCluster.logger) { connection in
                try await change(consent: true, on: connection)
            }
            otherCommittedSignal.yield()
            try await early
            return try await scoped.transaction(.principal(principal), logger: TestCluster.logger) { connection in
                try await EmployeeRepository(connection, logger: TestCluster.logger, tenant: reseller).preferenceHistory(employee)
            }
        }
        XCTAssertEqual(history.map(\.value), ["true", "false"], "the later commit is the newest entry")
        XCTAssertEqual(history.map(\.sequence), [1, 2])
    }
}
