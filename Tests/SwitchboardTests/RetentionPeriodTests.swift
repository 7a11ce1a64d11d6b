import PostgresNIO
import SwitchboardDomain
import XCTest

/// The retention periods are defined once, in ``RetentionPeriod``; the SQL that applies them must agree.
final class RetentionPeriodTests: XCTestCase {
    func testTheRetentionFunctionsApplyTheDeclaredPeriods() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let definition = try await database.withAdmin { connection in
            try await connection.query("SELECT pg_get_functiondef('platform.run_retention'::regproc)", logger: TestCluster.logger)
                .collect().first!.decode(String.self)
        }
        XCTAssertTrue(definition.contains(RetentionPeriod.trafficDataSQLInterval), "the logging duty in SQL is not \(RetentionPeriod.trafficDataSQLInterval)")
        XCTAssertTrue(definition.contains(RetentionPeriod.bookkeepingSQLInterval), "usage totals in SQL are not kept \(RetentionPeriod.bookkeepingSQLInterval)")
        // Any other period written into the function would be a second definition (3 months ahead
        // and 1-month steps are how partitions are laid out, not how long anything is kept).
        let intervals = Set(definition.matches(of: /interval '(\d+) (months?|years?)'/).map { "\($0.output.1) \($0.output.2)" })
        XCTAssertEqual(intervals, ["\(RetentionPeriod.trafficDataMonths) months", "\(RetentionPeriod.bookkeepingYears) years", "3 months", "1 month"])
    }
}
