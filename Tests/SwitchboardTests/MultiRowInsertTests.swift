import Foundation
import PostgresNIO
@testable import SwitchboardStore
import XCTest

/// Batches larger than one statement's share: every row written once, in order, with what
/// `RETURNING` gives collected across the statements.
final class MultiRowInsertTests: XCTestCase {
    func testABatchSpanningSeveralStatementsIsWrittenWholeAndInOrder() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let insert = MultiRowInsert(table: "batch", columns: ["position", "label"], suffix: "RETURNING position")
        XCTAssertEqual(insert.rowsPerStatement, 1_000)
        XCTAssertEqual(MultiRowInsert(table: "t", columns: Array(repeating: "c", count: 100)).rowsPerStatement, 655, "under 65,535 parameters")
        let rows = (1...2_345).map { ($0, "row \($0) with a quote ' and a \\ backslash") }
        let (returned, stored) = try await database.withAdmin { connection in
            try await connection.query("CREATE TEMPORARY TABLE batch (position integer PRIMARY KEY, label text NOT NULL)", logger: TestCluster.logger)
            let returned = try await insert.run(rows, on: connection, logger: TestCluster.logger) { row, binds in
                binds.append(row.0)
                binds.append(row.1)
            }.map { try $0.decode(Int.self) }
            let stored = try await connection.query("SELECT count(*), count(DISTINCT label), min(label) FILTER (WHERE position = 7) FROM batch", logger: TestCluster.logger)
                .collect().first!.decode((Int, Int, String).self)
            return (returned, stored)
        }
        XCTAssertEqual(returned, rows.map(\.0), "RETURNING rows of all three statements, in order")
        XCTAssertEqual(stored.0, 2_345)
        XCTAssertEqual(stored.1, 2_345)
        XCTAssertEqual(stored.2, "row 7 with a quote ' and a \\ backslash", "values travel as parameters")
        let nothing = try await database.withAdmin { connection in
            try await MultiRowInsert(table: "no_such_table", columns: ["x"]).run([Int](), on: connection, logger: TestCluster.logger) { value, binds in
                binds.append(value)
            }
        }
        XCTAssertEqual(nothing.count, 0, "no rows, no statement (the missing table is never named to the server)")
    }
}
