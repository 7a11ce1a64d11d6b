import Foundation
@testable import SwitchboardAPI
import XCTest

/// A customer's usage is the sum of its numbers' stored totals, which can exceed what one number holds.
final class UsageTotalsTests: XCTestCase {
    private func totals(dataBytes: Int64 = 0, charge: String = "0.0000") -> Components.Schemas.UsageTotals {
        .init(calls: 1, callSeconds: 60, billedMinutes: 1, sms: 0, dataBytes: dataBytes, charge: charge)
    }

    /// Two numbers' data volumes past Int64.max trapped and took the server down (found by attack).
    func testAnOverflowingSumThrowsInsteadOfTrapping() {
        XCTAssertThrowsError(try totals(dataBytes: Int64.max - 5).adding(totals(dataBytes: 10))) { error in
            XCTAssertTrue(error is UsageTotalsOverflow)
        }
    }

    /// Charges beyond one record's 10 whole digits summed to 0.0000 (found by attack).
    func testLargeChargesAddUpExactly() throws {
        let sum = try totals(charge: "51010099999999.5799").adding(totals(charge: "50999999999999.4900"))
        XCTAssertEqual(sum.charge, "102010099999999.0699")
        XCTAssertEqual(sum.calls, 2)
        let negative = try totals(charge: "-0.0001").adding(totals(charge: "12.5"))
        XCTAssertEqual(negative.charge, "12.4999")
    }
}
