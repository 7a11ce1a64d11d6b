import Foundation
import PostgresNIO
@testable import SwitchboardStore
import XCTest

/// The directory's statements name their tenant themselves (issue 18, `sb.statement_tenant`): on
/// Citus that is what routes them to one shard group, and on either database it is a first layer
/// that holds even where the policies do not apply. Runs on plain PostgreSQL and, with
/// `SWITCHBOARD_TEST_CITUS_URL`, on a cluster, where each read must plan as one shard task; on one
/// database the statement's tenant and the policy's must be one condition, with no one-time filter.
final class TenantRoutingIsolationTests: XCTestCase {
    /// As the superuser, whom no policy binds, in A's scope, a repository of reseller A still reads
    /// nothing of B's.
    func testTheDirectoryReadsOnlyItsTenantEvenWithoutThePolicies() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        try await raw.database.withAdmin { connection in
            try await tenants.enterScopeOfA(on: connection)
            let resellerA = EmployeeRepository(connection, logger: TestCluster.logger, tenant: tenants.resellerA)
            let own = try await resellerA.get(tenants.employeeA1)
            XCTAssertEqual(own?.id, tenants.employeeA1)
            XCTAssertEqual(own?.numbers.count, 1, "the person's number is read with them")
            let theirs = try await resellerA.get(tenants.employeeB1)
            XCTAssertNil(theirs, "another reseller's employee, named by id")
            let theirPage = try await resellerA.list(customerID: tenants.customerB1, search: .all, after: nil, limit: 50)
            XCTAssertTrue(theirPage.items.isEmpty, "another reseller's company, named by id")
            let lock: EmployeeLock? = try? await resellerA.lock(tenants.employeeB1)
            XCTAssertNil(lock, "another reseller's employee cannot be locked for a change")
            let content = try await resellerA.listContent(of: tenants.employeeB1)
            XCTAssertTrue(content.isEmpty, "another reseller's content")
            let history = try await resellerA.preferenceHistory(tenants.employeeB1)
            XCTAssertTrue(history.isEmpty, "another reseller's preference history")
        }
        try await raw.database.withAdmin { connection in
            try await tenants.enterScopeOfA(on: connection)
            let cases = DataSubjectRequestRepository(connection, logger: TestCluster.logger, tenant: tenants.resellerA)
            let matches = try await cases.matchingEmployees(customerID: tenants.customerB1, extensionNumber: "12", fullName: "Person 2")
            XCTAssertEqual(matches, [], "a request cannot be opened about another reseller's employee")
            let ownMatches = try await cases.matchingEmployees(customerID: tenants.customerA1, extensionNumber: "11", fullName: "Person 1")
            XCTAssertEqual(ownMatches, [tenants.employeeA1])
        }
    }

    /// Each read of the directory, run as the reseller with its tenant bound, plans as one shard
    /// task on Citus. On plain PostgreSQL the statement's tenant and the policy's are one index
    /// condition: two would be proven equal by a one-time filter, a `Result` above each scan that
    /// copies every row (the policies' main cost, migration 0039).
    func testEachDirectoryReadPlansForItsTenantAlone() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let citus = try await raw.database.withAdmin { connection in try await CitusDistribution.isPresent(on: connection, logger: TestCluster.logger) }
        let reseller = "'\(tenants.a)'::uuid"
        let reads: [(name: String, sql: String, rows: String)] = [
            ("employee by id", Self.bound(EmployeeByID.sql, [reseller, "'\(tenants.employeeA1.uuidString.lowercased())'::uuid"]), "1"),
            ("employee page", Self.bound(EmployeePage.sql, [
                "'\(tenants.customerA1.uuidString.lowercased())'::uuid", "NULL::uuid", "NULL::uuid", "'all'", "''", "''", "''", "51", reseller,
            ]), "1"),
            ("customer page", Self.bound(TenantCustomerPage.sql, [reseller, "NULL::uuid", "NULL::uuid", "51"]), "2"),
        ]
        for read in reads {
            let plan = try await raw.values("EXPLAIN (COSTS OFF) " + read.sql, role: "sb_reseller", settings: tenants.resellerSettingsA)
            let text = try XCTUnwrap(plan, "\(read.name): \(String(describing: plan))").joined(separator: "\n")
            if citus {
                XCTAssertTrue(text.contains("Task Count: 1"), "\(read.name) runs on one shard:\n\(text)")
            } else {
                XCTAssertFalse(text.contains("One-Time Filter"), "\(read.name) checks its tenant once, in the scan:\n\(text)")
                XCTAssertTrue(text.range(of: #"(Cond|Filter): .*reseller_id = \(NULLIF\(current_setting\('sb\.reseller_id'"#, options: .regularExpression) != nil,
                              "\(read.name) names its tenant as the scope's:\n\(text)")
            }
            let count = try await raw.values("SELECT count(*)::text FROM (\(read.sql)) q", role: "sb_reseller", settings: tenants.resellerSettingsA)
            XCTAssertEqual(count, [read.rows], "\(read.name) finds the tenant's rows")
        }
    }

    /// `$n` placeholders replaced by SQL literals, the highest first so `$1` never eats `$10`.
    private static func bound(_ sql: String, _ values: [String]) -> String {
        values.indices.reversed().reduce(sql) { text, index in text.replacingOccurrences(of: "$\(index + 1)", with: values[index]) }
    }
}
