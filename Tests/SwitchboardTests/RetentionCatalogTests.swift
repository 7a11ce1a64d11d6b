import Foundation
import PostgresNIO
import SwitchboardDomain
import XCTest

/// Every table declares the classes of data it holds, every class has a rule, and the published
/// document is the declaration printed.
final class RetentionCatalogTests: XCTestCase {
    func testEveryTableDeclaresItsClassesOfData() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let tables = try await database.withAdmin { connection in
            try await connection.query(
                """
                SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('sb', 'platform', 'public') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                ORDER BY 1
                """,
                logger: TestCluster.logger
            ).collect().map { try $0.decode(String.self) }
        }
        XCTAssertGreaterThan(tables.count, 30)
        let undeclared = Set(tables).subtracting(RetentionPolicy.tableClasses.keys)
        XCTAssertEqual(undeclared, [], "tables without a declared class of data (RetentionPolicy.tableClasses)")
        let gone = Set(RetentionPolicy.tableClasses.keys).subtracting(tables)
        XCTAssertEqual(gone, [], "declared tables that do not exist")
    }

    func testEveryClassOfDataHasARule() {
        let covered = Set(RetentionPolicy.rules.flatMap(\.dataClasses))
        XCTAssertEqual(Set(DataClass.allCases).subtracting(covered), [])
        for rule in RetentionPolicy.rules where rule.automatic {
            XCTAssertNotNil(rule.keptFor, "\(rule.name): an automatic rule has a period")
        }
    }

    func testThePublishedPolicyIsTheDeclarationPrinted() throws {
        let file = TestCluster.repositoryRoot.appendingPathComponent("docs/retention-policy.md")
        let published = try String(contentsOf: file, encoding: .utf8)
        XCTAssertEqual(published, RetentionPolicy.markdown, "regenerate with: swift run switchboard retention policy > docs/retention-policy.md")
    }

    func testEachAudienceSeesItsOwnRules() {
        let platform = Set(RetentionPolicy.rules(for: .platform).map(\.name))
        let reseller = Set(RetentionPolicy.rules(for: .reseller).map(\.name))
        XCTAssertTrue(platform.contains(RetentionPolicy.RuleName.trafficData))
        XCTAssertFalse(reseller.contains(RetentionPolicy.RuleName.trafficData), "traffic data is the platform's")
        XCTAssertTrue(reseller.contains(RetentionPolicy.RuleName.terminatedCustomers))
        XCTAssertFalse(platform.contains(RetentionPolicy.RuleName.voicemails))
        XCTAssertEqual(RetentionPolicy.rules(for: .reseller, voicemailDays: 30).first { $0.name == "voicemails" }?.keptFor, .days(30))
    }
}
