import Foundation
import PostgresNIO
@testable import SwitchboardStore
import XCTest

/// The directory's page reads each child table once for all of the page's people
/// (`EmployeeRepository.selectSQL`); each person must still get exactly their own current numbers,
/// SIM cards and fax lines, in the order they were assigned.
final class EmployeePageTests: XCTestCase {
    func testEachPersonOnAPageGetsExactlyTheirOwnCurrentAssignmentsInOrder() async throws {
        let (raw, tenants) = try await SeededTenants.seeded()
        let withTwo = UUID(), withNone = UUID()
        let owner = { (employee: UUID) in "'\(tenants.resellerA)', '\(tenants.customerA1)', '\(employee)'" }
        try await raw.database.withAdmin { connection in
            for sql in [
                """
                INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension)
                VALUES (\(owner(withTwo)), 'Two Of Everything', '21'), (\(owner(withNone)), 'Nothing Yet', '31')
                """,
                // Inserted newest first, so only the assignment time can put them in order.
                """
                INSERT INTO sb.number_assignments (reseller_id, customer_id, employee_id, id, number, assigned_at, released_at) VALUES
                  (\(owner(withTwo)), gen_random_uuid(), '+4511900002', now() - interval '1 hour', NULL),
                  (\(owner(withTwo)), gen_random_uuid(), '+4511900001', now() - interval '2 hours', NULL),
                  (\(owner(withTwo)), gen_random_uuid(), '+4511900003', now() - interval '3 hours', now())
                """,
                """
                INSERT INTO sb.sim_cards (reseller_id, customer_id, employee_id, id, iccid, assigned_at) VALUES
                  (\(owner(withTwo)), gen_random_uuid(), '8945100000000000092', now() - interval '1 hour'),
                  (\(owner(withTwo)), gen_random_uuid(), '8945100000000000091', now() - interval '2 hours')
                """,
                """
                INSERT INTO sb.fax_to_mail (reseller_id, customer_id, employee_id, id, fax_number, delivery_email, created_at) VALUES
                  (\(owner(withTwo)), gen_random_uuid(), '+4522900002', 'late@x.example', now() - interval '1 hour'),
                  (\(owner(withTwo)), gen_random_uuid(), '+4522900001', 'early@x.example', now() - interval '2 hours')
                """,
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger)
            }
            try await tenants.enterScopeOfA(on: connection)
            let employees = EmployeeRepository(connection, logger: TestCluster.logger, tenant: tenants.resellerA)
            let page = try await employees.list(customerID: tenants.customerA1, search: .all, after: nil, limit: 50).items
            XCTAssertEqual(page.count, 3, "one row per person")
            XCTAssertEqual(Set(page.map(\.id)), [tenants.employeeA1, withTwo, withNone])
            let byID = Dictionary(page.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

            let two = try XCTUnwrap(byID[withTwo])
            XCTAssertEqual(two.numbers.map(\.value), ["+4511900001", "+4511900002"], "current numbers, oldest first; the released one left out")
            XCTAssertEqual(two.sims.map(\.value), ["8945100000000000091", "8945100000000000092"])
            XCTAssertEqual(two.faxToMail.map(\.faxNumber), ["+4522900001", "+4522900002"])
            XCTAssertEqual(two.faxToMail.map(\.deliveryEmail), ["early@x.example", "late@x.example"], "each fax line keeps its own address")

            let none = try XCTUnwrap(byID[withNone])
            XCTAssertEqual(none.numbers, [])
            XCTAssertEqual(none.sims, [])
            XCTAssertEqual(none.faxToMail, [])

            let seeded = try XCTUnwrap(byID[tenants.employeeA1])
            XCTAssertEqual(seeded.numbers.map(\.value), ["+4511100000"], "the seeded person keeps only their own number")
            XCTAssertEqual(seeded.sims.map(\.value), ["8945100000000000001"])
            XCTAssertEqual(seeded.faxToMail.map(\.faxNumber), ["+4522100000"])

            let single = try await employees.get(withTwo)
            XCTAssertEqual(single, two, "one person read alone is read as on the page")
        }
    }
}
