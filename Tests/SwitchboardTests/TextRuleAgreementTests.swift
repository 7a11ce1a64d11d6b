import Foundation
import PostgresNIO
import SwitchboardDomain
import XCTest

/// The validator's text rule and the database's `sb.valid_text` are one rule: they agree on every
/// hostile sample, so a name the server accepts is never refused by a CHECK constraint (the 500s
/// of issue 11, point 5) and neither side can drift without this failing.
final class TextRuleAgreementTests: XCTestCase {
    static let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"  // 7 code points, 1 grapheme

    static let samples: [String] = [
        "", " ", "Ann", " Ann", "Ann ", "\u{A0}Ann", "Ann\u{3000}", "Ann\u{2028}", "\u{2003}Ann", "Ann\u{202F}",
        "A\tB", "A\nB", "A\u{7F}B", "A\u{85}B", "A\u{9F}B", "A\u{1B}[31mB",
        "A\u{202E}B", "A\u{202A}B", "A\u{2066}B", "A\u{2069}B",
        "A\u{200D}B", "A\u{200F}B", "A\u{200E}B", "\u{FEFF}Ann", "A\u{200B}B", "Zo\u{308}e",
        String(repeating: "e\u{301}", count: 100), String(repeating: "e\u{301}", count: 101), String(repeating: "e\u{301}", count: 150),
        String(repeating: family, count: 28), String(repeating: family, count: 29),
        String(repeating: "x", count: 200), String(repeating: "x", count: 201),
        String(repeating: "\u{1F600}", count: 200), String(repeating: "\u{1F600}", count: 201),
        "\u{1F1E9}\u{1F1F0}", "\u{0627}\u{0644}\u{0639}\u{0631}\u{0628}\u{064A}\u{0629}", "\u{05E9}\u{05DC}\u{05D5}\u{05DD}",
        String(repeating: "\u{0301}", count: 200), "\u{FFFD}", "\u{10FFFF}",
    ]

    func testSwiftAndSQLAgreeOnEveryHostileSample() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let sql = try await database.withAdmin { connection -> [Bool] in
            var answers: [Bool] = []
            for sample in Self.samples {
                let row = try await connection.query("SELECT coalesce(sb.valid_text(\(sample), 200), true)", logger: TestCluster.logger).collect().first!
                answers.append(try row.decode(Bool.self))
            }
            return answers
        }
        for (sample, database) in zip(Self.samples, sql) {
            let scalars = sample.unicodeScalars.map { String($0.value, radix: 16) }.prefix(12).joined(separator: " ")
            XCTAssertEqual(TextRule.isValid(sample, maxLength: 200), database, "sample [\(scalars)…] (\(sample.unicodeScalars.count) code points)")
        }
        XCTAssertTrue(sql.contains(true) && sql.contains(false), "the samples exercise both answers")
    }

    /// Whatever the validator accepts (after trimming) the database stores.
    func testEveryAcceptedValueSatisfiesTheConstraint() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let accepted = Self.samples.compactMap { sample -> String? in
            var validator = Validator()
            return validator.text(sample, field: "name")
        }
        XCTAssertGreaterThan(accepted.count, 10)
        try await database.withAdmin { connection in
            for value in accepted {
                let row = try await connection.query("SELECT sb.valid_text(\(value), 200)", logger: TestCluster.logger).collect().first!
                XCTAssertTrue(try row.decode(Bool.self), "accepted but refused by the database: \(value.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
    }

    /// NUL cannot reach PostgreSQL at all; the validator must refuse it itself.
    func testNULIsRefusedBeforeTheDatabase() {
        var validator = Validator()
        XCTAssertNil(validator.text("Ann\u{0}Berg", field: "name"))
        XCTAssertThrowsError(try validator.finish())
    }
}
