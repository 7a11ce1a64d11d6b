import PostgresNIO
import SwitchboardDomain
import XCTest

/// The retention periods are defined once, in ``RetentionPeriod``: the retention functions take
/// them as arguments, and none may write a period of its own.
final class RetentionPeriodTests: XCTestCase {
    func testNoRetentionFunctionWritesAPeriodOfItsOwn() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let definitions = try await database.withAdmin { connection in
            try await connection.query(
                """
                SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('sb', 'platform') AND (p.proname LIKE 'retention\\_%' OR p.proname = 'prepare_partitions')
                """,
                logger: TestCluster.logger
            ).collect().map { try $0.decode((String, String).self) }
        }
        XCTAssertGreaterThanOrEqual(definitions.count, 12)
        for (name, definition) in definitions {
            // Three months ahead and one-month steps are how partitions are laid out, not how long anything is kept.
            let literals = Set(definition.matches(of: /interval '(\d+) ([a-z]+)'/).map { "\($0.output.1) \($0.output.2)" })
            XCTAssertTrue(literals.isSubset(of: ["3 months", "1 month"]), "\(name) writes its own period: \(literals)")
            XCTAssertNil(definition.firstMatch(of: /make_interval\([a-z]+ => \d/), "\(name) makes a period of its own")
        }
    }

    func testTheRulesUseTheDeclaredPeriods() {
        let byName = Dictionary(uniqueKeysWithValues: RetentionPolicy.rules.map { ($0.name, $0) })
        XCTAssertEqual(byName[RetentionPolicy.RuleName.trafficData]?.keptFor, .months(12))
        XCTAssertEqual(byName[RetentionPolicy.RuleName.terminatedCustomers]?.keptFor, .days(30))
        XCTAssertEqual(byName[RetentionPolicy.RuleName.callRecordings]?.keptFor, .days(90))
        XCTAssertEqual(byName[RetentionPolicy.RuleName.bookkeeping]?.keptFor, .years(5))
        XCTAssertEqual(byName[RetentionPolicy.RuleName.voicemails]?.keptFor, .days(RetentionPeriod.voicemailMaximumDays))
        XCTAssertEqual(RetentionPolicy.voicemails(days: 10_000).keptFor, .days(RetentionPeriod.voicemailMaximumDays), "never past the maximum")
        XCTAssertEqual(Set(RetentionPolicy.rules.map(\.name)).count, RetentionPolicy.rules.count, "rule names are unique")
    }
}
