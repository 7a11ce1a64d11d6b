import Foundation
import SwitchboardDomain
import XCTest

/// One calendar month, not 30 days: month ends clamp to the shorter month's last day, leap years
/// give 29 February, and the one extension counts from receipt.
final class DataSubjectRequestDeadlineTests: XCTestCase {
    private func instant(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func testTheDeadlineIsOneCalendarMonthAfterReceipt() {
        let cases: [(received: String, due: String)] = [
            ("2027-01-31T10:15:00Z", "2027-02-28T10:15:00Z"),  // common year: the last day of February
            ("2028-01-31T10:15:00Z", "2028-02-29T10:15:00Z"),  // leap year
            ("2028-01-29T08:00:00Z", "2028-02-29T08:00:00Z"),
            ("2027-01-29T08:00:00Z", "2027-02-28T08:00:00Z"),
            ("2027-03-31T23:59:59Z", "2027-04-30T23:59:59Z"),  // 31 → 30
            ("2027-04-30T00:00:00Z", "2027-05-30T00:00:00Z"),  // not to the month's end: the same day
            ("2026-12-31T12:00:00Z", "2027-01-31T12:00:00Z"),  // across the year
            ("2027-01-15T09:30:00Z", "2027-02-15T09:30:00Z"),
            ("2028-02-29T12:00:00Z", "2028-03-29T12:00:00Z"),
        ]
        for (received, due) in cases {
            XCTAssertEqual(DataSubjectRequestDeadline.dueAt(receivedAt: instant(received)), instant(due), "received \(received)")
        }
    }

    func testAnExtensionCountsFurtherCalendarMonthsFromReceipt() {
        XCTAssertEqual(DataSubjectRequestDeadline.dueAt(receivedAt: instant("2027-01-31T10:00:00Z"), extensionMonths: 2), instant("2027-04-30T10:00:00Z"))
        XCTAssertEqual(DataSubjectRequestDeadline.dueAt(receivedAt: instant("2027-11-30T10:00:00Z"), extensionMonths: 2), instant("2028-02-29T10:00:00Z"))
        XCTAssertEqual(DataSubjectRequestDeadline.dueAt(receivedAt: instant("2027-12-31T10:00:00Z"), extensionMonths: 1), instant("2028-02-29T10:00:00Z"))
    }

    func testAnExtensionIsOnceBeforeTheDeadlineAndAtMostTwoMonths() {
        let due = instant("2027-02-28T10:00:00Z")
        let before = due.addingTimeInterval(-1)
        XCTAssertNil(DataSubjectRequestDeadline.extensionRefusal(months: 1, alreadyExtended: false, dueAt: due, now: before))
        XCTAssertNil(DataSubjectRequestDeadline.extensionRefusal(months: 2, alreadyExtended: false, dueAt: due, now: before))
        XCTAssertNotNil(DataSubjectRequestDeadline.extensionRefusal(months: 3, alreadyExtended: false, dueAt: due, now: before))
        XCTAssertNotNil(DataSubjectRequestDeadline.extensionRefusal(months: 0, alreadyExtended: false, dueAt: due, now: before))
        XCTAssertNotNil(DataSubjectRequestDeadline.extensionRefusal(months: 1, alreadyExtended: true, dueAt: due, now: before))
        XCTAssertNotNil(DataSubjectRequestDeadline.extensionRefusal(months: 1, alreadyExtended: false, dueAt: due, now: due), "at the deadline it is too late")
        XCTAssertNotNil(DataSubjectRequestDeadline.extensionRefusal(months: 1, alreadyExtended: false, dueAt: due, now: due.addingTimeInterval(86_400)))
    }

    func testStatesMoveOnlyForwardAndClosedCasesStayClosed() {
        XCTAssertTrue(DataSubjectRequestState.received.allows(.inProgress))
        XCTAssertTrue(DataSubjectRequestState.inProgress.allows(.completed))
        XCTAssertFalse(DataSubjectRequestState.inProgress.allows(.received))
        XCTAssertFalse(DataSubjectRequestState.inProgress.allows(.inProgress))
        for closed in [DataSubjectRequestState.completed, .refused, .withdrawn] {
            XCTAssertTrue(closed.isClosed)
            for next in DataSubjectRequestState.allCases { XCTAssertFalse(closed.allows(next), "\(closed) → \(next)") }
        }
    }
}
