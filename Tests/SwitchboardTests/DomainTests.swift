import Foundation
@testable import SwitchboardDomain
import XCTest

final class DomainTests: XCTestCase {
    func testTimeOrderedIDsSortByCreationTime() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = (0..<2000).map { TimeOrderedID.make(now: start.addingTimeInterval(Double($0) * 0.000_01)) }
        XCTAssertEqual(ids.map { $0.uuidString }, ids.map { $0.uuidString }.sorted(), "10 µs apart still sort in order")
        XCTAssertTrue(ids.allSatisfy { $0.uuidString.dropFirst(14).hasPrefix("7") }, "version 7")
        XCTAssertEqual(Set(ids).count, ids.count)
    }

    func testEmailAddresses() {
        XCTAssertEqual(EmailAddress("  Ann@Example.COM ")?.value, "ann@example.com")
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "ann @example.com", "ann@exa mple.com", "ann@.example.com", "ann@example..com"] {
            XCTAssertNil(EmailAddress(bad), bad)
        }
    }

    func testValidatorCollectsEveryViolation() {
        var validator = Validator()
        _ = validator.text(nil, field: "name")
        _ = validator.cvr("1234567", field: "cvr")
        _ = validator.phone("+45 1234", field: "phone")
        validator.password(String(repeating: "x", count: 73), field: "password")
        _ = validator.text("ok\u{0007}", field: "note")
        XCTAssertThrowsError(try validator.finish()) { error in
            let rules = (error as? ValidationFailure)?.violations.map { "\($0.field)/\($0.rule)" }
            XCTAssertEqual(rules, ["name/required", "cvr/format", "phone/format", "password/maxLength", "note/format"])
        }
        var fine = Validator()
        XCTAssertEqual(fine.text("  Trimmed  ", field: "name"), "Trimmed")
        XCTAssertEqual(fine.cvr("12345678", field: "cvr"), "12345678")
        XCTAssertEqual(fine.phone("+4512345678", field: "phone"), "+4512345678")
        XCTAssertNoThrow(try fine.finish())
    }
}
