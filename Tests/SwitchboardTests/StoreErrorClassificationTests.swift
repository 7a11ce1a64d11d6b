import Foundation
import HTTPTypes
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardStore
import XCTest

/// Every class of database refusal a client's input can cause becomes a 4xx naming the field,
/// in the one place store errors are classified (issue 11, point 5). Each statement below raised
/// its error through `StoreError.classify` unchanged, which the server answered with 500.
final class StoreErrorClassificationTests: XCTestCase {
    /// The problem a client would get for the error `sql` raises (run as the superuser, rolled back).
    func refusal(_ sql: String, binding text: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws -> Problem {
        let database = try await TestCluster.shared.migratedDatabase()
        let error: (any Error)? = try await database.withAdmin { connection in
            // Never committed: the connection closes with the transaction open (or aborted).
            try await connection.query("BEGIN", logger: TestCluster.logger)
            do {
                if let text {
                    _ = try await connection.query("SELECT \(text)::text", logger: TestCluster.logger).collect()
                } else {
                    for statement in sql.split(separator: ";") {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: TestCluster.logger).collect()
                    }
                }
                return nil
            } catch {
                return error
            }
        }
        let raised = try XCTUnwrap(error, "the statement must fail", file: file, line: line)
        let mapped = StoreError.classify(raised) as? any ProblemReporting
        return try XCTUnwrap(mapped?.problem, "\(raised) became no problem document", file: file, line: line)
    }

    static let reseller = "INSERT INTO sb.resellers (id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'R')"

    func testCheckViolationIs422NamingTheColumn() async throws {
        let problem = try await refusal("INSERT INTO sb.resellers (id, name) VALUES (gen_random_uuid(), repeat('e' || chr(769), 150))")
        XCTAssertEqual(problem.status, .unprocessableContent)
        XCTAssertEqual(problem.errors.map { "\($0.field)/\($0.rule)" }, ["name/check"])
    }

    func testCheckViolationOfAContactColumnNamesTheRequestField() async throws {
        let problem = try await refusal("INSERT INTO sb.resellers (id, name, contact_name) VALUES (gen_random_uuid(), 'R', ' padded')")
        XCTAssertEqual(problem.errors.map { "\($0.field)/\($0.rule)" }, ["contact.name/check"])
    }

    func testNotNullViolationIs422NamingTheColumn() async throws {
        let problem = try await refusal("INSERT INTO sb.customers (reseller_id, id, name) VALUES (gen_random_uuid(), gen_random_uuid(), NULL)")
        XCTAssertEqual(problem.status, .unprocessableContent)
        XCTAssertEqual(problem.errors.map { "\($0.field)/\($0.rule)" }, ["name/required"])
    }

    func testMissingReferenceIs422NamingTheReferencingColumn() async throws {
        let problem = try await refusal("INSERT INTO sb.customers (reseller_id, id, name) VALUES (gen_random_uuid(), gen_random_uuid(), 'C')")
        XCTAssertEqual(problem.status, .unprocessableContent)
        XCTAssertEqual(problem.errors.map { "\($0.field)/\($0.rule)" }, ["resellerId/exists"])
    }

    func testDeletingAReferencedRowIs409() async throws {
        let problem = try await refusal(Self.reseller + "; INSERT INTO sb.customers (reseller_id, id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'C')"
                                        + "; DELETE FROM sb.resellers WHERE id = '00000000-0000-0000-0000-0000000000a1'")
        XCTAssertEqual(problem.status, .conflict)
    }

    func testStringTooLongIs422() async throws {
        let problem = try await refusal("CREATE TEMP TABLE short_text (code varchar(2)); INSERT INTO short_text VALUES ('abc')")
        XCTAssertEqual(problem.status, .unprocessableContent)
        XCTAssertEqual(problem.errors.map(\.rule), ["maxLength"])
    }

    func testNumericOutOfRangeIs422() async throws {
        let problem = try await refusal("CREATE TEMP TABLE counts (n integer); INSERT INTO counts VALUES (9999999999)")
        XCTAssertEqual(problem.status, .unprocessableContent)
        XCTAssertEqual(problem.errors.map(\.rule), ["range"])
    }

    func testInvalidTextRepresentationIs400() async throws {
        let problem = try await refusal("SELECT 'not-a-uuid'::uuid")
        XCTAssertEqual(problem.status, .badRequest)
        XCTAssertEqual(problem.errors.map(\.rule), ["format"])
    }

    func testNULInTextIs400() async throws {
        let problem = try await refusal("", binding: "Ann\u{0}Berg")
        XCTAssertEqual(problem.status, .badRequest)
        XCTAssertEqual(problem.errors.map(\.rule), ["format"])
    }

    func testNULInJSONIs400() async throws {
        let problem = try await refusal(#"SELECT '"\u0000"'::jsonb ->> 0"#)
        XCTAssertEqual(problem.status, .badRequest)
    }

    func testInvalidDateIs400() async throws {
        let problem = try await refusal("SELECT 'not-a-date'::date")
        XCTAssertEqual(problem.status, .badRequest)
    }

    func testExclusionViolationIs409() async throws {
        let problem = try await refusal("CREATE TEMP TABLE bookings (during int4range, EXCLUDE USING gist (during WITH &&))"
                                        + "; INSERT INTO bookings VALUES ('[1,5)'), ('[3,7)')")
        XCTAssertEqual(problem.status, .conflict)
    }
}
