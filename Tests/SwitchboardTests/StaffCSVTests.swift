import Foundation
@testable import SwitchboardDomain
import XCTest

/// The staff CSV import and export (issue 13) without a server: the reader's shape rules and
/// limits, the writer's quoting and formula neutralisation, and the row validation's mapping.
final class StaffCSVTests: XCTestCase {
    private func read(_ text: String, maxRows: Int = 100, maxBytes: Int = 100_000) throws -> StaffCSVDocument {
        try StaffCSVReader.read(Array(text.utf8), maxRows: maxRows, maxBytes: maxBytes)
    }

    private func write(_ rows: [StaffCSVRow]) -> String {
        StaffCSVWriter.header + rows.map {
            StaffCSVWriter.line(fullName: $0.fullName, extensionNumber: $0.extensionNumber, email: $0.email, mobile: $0.mobile,
                                numbers: $0.numbers, iccids: $0.iccids)
        }.joined()
    }

    private static let iccid = "894501000000000000" + String(Luhn.checkDigit(for: "894501000000000000"))
    private static let wrongCheckDigit = "894501000000000000" + String((Luhn.checkDigit(for: "894501000000000000") + 1) % 10)

    private let employees: [StaffCSVRow] = [
        StaffCSVRow(row: 2, fullName: "Søren Ærø-Åberg", extensionNumber: "101", email: "soren@example.dk", mobile: "+4570100000",
                    numbers: ["+4570100001", "+4570100002"], iccids: [iccid, "8945010000000000001"]),
        StaffCSVRow(row: 3, fullName: "Hansen, \"Bo\"\nsecond line\r\nthird", extensionNumber: "102"),
        StaffCSVRow(row: 4, fullName: "=cmd|' /C calc'!A0", extensionNumber: "103", email: "@evil", mobile: "-1+1"),
        StaffCSVRow(row: 5, fullName: "'=already quoted", extensionNumber: "104", numbers: ["+4570100003"]),
        StaffCSVRow(row: 6, fullName: "  padded  ", extensionNumber: "105", email: "\ttab@example.dk"),
        StaffCSVRow(row: 7, fullName: "'plain apostrophe", extensionNumber: "106", mobile: "+4570100004"),
        StaffCSVRow(row: 8, fullName: "\"", extensionNumber: "107"),
        StaffCSVRow(row: 9, fullName: "\r=carriage", extensionNumber: "108"),
    ]

    // MARK: - Round trip

    func testWhatTheWriterWritesTheReaderReadsBack() throws {
        let text = write(employees)
        let document = try read(text)
        XCTAssertEqual(document.errors, [])
        XCTAssertEqual(document.columns, StaffCSVColumn.allCases)
        XCTAssertEqual(document.rows, employees)
        XCTAssertTrue(text.hasPrefix("fullName,extension,email,mobile,number,iccid\r\n"))
        // Every record ends in CRLF; no LF stands alone outside the quoted name.
        XCTAssertTrue(text.hasSuffix(",108,,,,\r\n"))
    }

    func testFormulasAreNeutralisedInTheExportAndRestoredOnImport() throws {
        XCTAssertEqual(StaffCSVWriter.cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0")
        XCTAssertEqual(StaffCSVWriter.cell("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(StaffCSVWriter.cell("-2+3"), "'-2+3")
        XCTAssertEqual(StaffCSVWriter.cell("+2+3"), "'+2+3")
        XCTAssertEqual(StaffCSVWriter.cell("\t=1"), "'\t=1")
        XCTAssertEqual(StaffCSVWriter.cell("\r=1"), "\"'\r=1\"")
        XCTAssertEqual(StaffCSVWriter.cell("'=1"), "''=1", "a value that really starts with a quote keeps it")
        XCTAssertEqual(StaffCSVWriter.cell("Anne-Marie"), "Anne-Marie")
        XCTAssertEqual(StaffCSVWriter.cell("'tis"), "'tis")
        // Numbers cannot carry a formula and stay as they are.
        XCTAssertEqual(StaffCSVWriter.cell("+4570100000"), "+4570100000")
        XCTAssertEqual(StaffCSVWriter.cell("+4570100000 +4570100001"), "+4570100000 +4570100001")
        XCTAssertEqual(StaffCSVWriter.cell("+45 70100000"), "'+45 70100000", "not a list of E.164 numbers")
        XCTAssertEqual(StaffCSVWriter.cell("+4570100000 "), "\"'+4570100000 \"")
        XCTAssertEqual(StaffCSVWriter.cell("+123456"), "'+123456", "fewer than 7 digits")
        XCTAssertEqual(StaffCSVWriter.cell("+1234567890123456"), "'+1234567890123456", "more than 15 digits")

        let line = StaffCSVWriter.line(fullName: "=cmd|' /C calc'!A0", extensionNumber: "100", email: "@x", mobile: "+4570100000",
                                       numbers: ["+4570100001", "+4570100002"], iccids: [])
        XCTAssertEqual(line, "'=cmd|' /C calc'!A0,100,'@x,+4570100000,+4570100001 +4570100002,\r\n")
        let cells = line.dropLast(2).split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertFalse(cells.contains { ["=", "@", "-", "\t", "\r"].contains($0.first) }, "no cell starts a formula")

        let row = try XCTUnwrap(read(StaffCSVWriter.header + line).rows.first)
        XCTAssertEqual(row.fullName, "=cmd|' /C calc'!A0")
        XCTAssertEqual(row.email, "@x")
        XCTAssertEqual(row.mobile, "+4570100000")
        XCTAssertEqual(row.numbers, ["+4570100001", "+4570100002"])

        // An import written by hand is un-neutralised the same way.
        let typed = try read("fullName,extension\n'=1+1,100\n'+4512345678,101\n''@x,102\n'text,103\n")
        XCTAssertEqual(typed.rows.map(\.fullName), ["=1+1", "+4512345678", "'@x", "'text"])
    }

    // MARK: - Limits

    func testTheRowLimitTripsAtTheFirstByteOfTheRowPastIt() throws {
        let header = "fullName,extension\r\n"
        let three = header + "A,1\r\nB,2\r\nC,3\r\n"
        XCTAssertEqual(try read(three, maxRows: 3).rows.count, 3)
        XCTAssertEqual(try read(three + "\r\n\n", maxRows: 3).rows.count, 3, "trailing blank lines are not rows")

        let bytes = Array((three + "D,4\r\n").utf8)
        var reader = StaffCSVReader(maxRows: 3, maxBytes: 1_000)
        for (offset, byte) in bytes.enumerated() {
            if offset < three.utf8.count {
                XCTAssertNoThrow(try reader.consume([byte]), "offset \(offset)")
            } else {
                XCTAssertThrowsError(try reader.consume([byte])) { error in
                    XCTAssertEqual(error as? StaffCSVLimitExceeded, StaffCSVLimitExceeded(limit: .rows, maximum: 3))
                }
                break
            }
        }
        XCTAssertThrowsError(try reader.consume([])) { XCTAssertEqual($0 as? StaffCSVLimitExceeded, .init(limit: .rows, maximum: 3)) }
        XCTAssertThrowsError(try reader.finish()) { XCTAssertEqual($0 as? StaffCSVLimitExceeded, .init(limit: .rows, maximum: 3)) }

        XCTAssertEqual(try read(header, maxRows: 0).rows, [], "a header alone is no row")
        XCTAssertThrowsError(try read(header + "A,1", maxRows: 0))
    }

    func testTheByteLimitTripsAtTheChunkThatPassesIt() throws {
        let text = "\u{FEFF}fullName,extension\nÆble,1\n"
        let size = text.utf8.count
        XCTAssertEqual(try read(text, maxBytes: size).rows.map(\.fullName), ["Æble"], "exactly the limit is allowed")
        XCTAssertThrowsError(try read(text, maxBytes: size - 1)) { error in
            XCTAssertEqual(error as? StaffCSVLimitExceeded, StaffCSVLimitExceeded(limit: .bytes, maximum: size - 1))
            XCTAssertEqual("\(error)", "The CSV is larger than \(size - 1) bytes; split it into smaller files.")
        }

        var reader = StaffCSVReader(maxRows: 10, maxBytes: 10)
        XCTAssertNoThrow(try reader.consume(Array("fullName,e".utf8)))
        XCTAssertThrowsError(try reader.consume([UInt8(ascii: "x")])) {
            XCTAssertEqual($0 as? StaffCSVLimitExceeded, StaffCSVLimitExceeded(limit: .bytes, maximum: 10))
        }
    }

    // MARK: - Reading

    func testChunksSplitAnywhereReadTheSameAsTheWhole() throws {
        let text = "\u{FEFF}extension,fullName,number\r\n1,\"Ø\"\"\r\nx\",+4570100000 +4570100001\n2,æ,\r3,bad\"quote,\n\n4,\"open\"x,\n5,å\u{301},"
        let bytes = Array(text.utf8)
        let whole = try StaffCSVReader.read(bytes, maxRows: 10, maxBytes: 1_000)
        XCTAssertEqual(whole.rows.map(\.fullName), ["Ø\"\r\nx", "æ", "å\u{301}"])
        XCTAssertEqual(whole.rows.map(\.row), [2, 3, 7])
        XCTAssertEqual(whole.errors.map(\.rule), ["quoting", "quoting"])

        for split in 0...bytes.count {
            var reader = StaffCSVReader(maxRows: 10, maxBytes: 1_000)
            try reader.consume(bytes[..<split])
            try reader.consume(bytes[split...])
            XCTAssertEqual(try reader.finish(), whole, "split at \(split)")
        }
        var bytewise = StaffCSVReader(maxRows: 10, maxBytes: 1_000)
        for byte in bytes { try bytewise.consume(CollectionOfOne(byte)) }
        XCTAssertEqual(try bytewise.finish(), whole)
    }

    func testByteOrderMarkAndLineEnds() throws {
        let lf = try read("fullName,extension\nAnn,1\nBo,2\n")
        XCTAssertEqual(lf.errors, [])
        XCTAssertEqual(lf.rows, [StaffCSVRow(row: 2, fullName: "Ann", extensionNumber: "1"), StaffCSVRow(row: 3, fullName: "Bo", extensionNumber: "2")])
        XCTAssertEqual(try read("fullName,extension\r\nAnn,1\r\nBo,2\r\n"), lf)
        XCTAssertEqual(try read("fullName,extension\rAnn,1\rBo,2"), lf, "bare CR and no final line end")
        XCTAssertEqual(try read("\u{FEFF}fullName,extension\r\nAnn,1\r\nBo,2\r\n\r\n"), lf, "BOM skipped, trailing empty line ignored")

        // Only a mark at the start is skipped; one in a cell is text.
        XCTAssertEqual(try read("fullName,extension\n\u{FEFF}Ann,1\n").rows.first?.fullName, "\u{FEFF}Ann")
        // Half a mark is not UTF-8.
        let half = try StaffCSVReader.read([0xEF, 0xBB] + Array("fullName,extension\nAnn,1\n".utf8), maxRows: 10, maxBytes: 100)
        XCTAssertEqual(half.errors.map(\.rule), ["encoding", "missingColumn"])
        XCTAssertEqual(half.rows, [], "no rows under a broken header")

        // Blank lines are skipped but keep the spreadsheet's row numbers.
        XCTAssertEqual(try read("fullName,extension\n\nAnn,1\r\n\r\nBo,2\n").rows.map(\.row), [3, 5])
        // A quoted line break does not start a new row number.
        XCTAssertEqual(try read("fullName,extension\n\"A\nB\",1\nBo,2\n").rows.map(\.row), [2, 3])
    }

    func testCellsAndColumns() throws {
        let document = try read(" iccid ,email,fullName,extension,mobile\n,,Ann,1,\n \(Self.iccid)  x ,   ,Bo,2,+4570100000\n")
        XCTAssertEqual(document.errors, [])
        XCTAssertEqual(document.columns, [.iccid, .email, .fullName, .extension, .mobile])
        XCTAssertEqual(document.rows, [
            StaffCSVRow(row: 2, fullName: "Ann", extensionNumber: "1"),
            StaffCSVRow(row: 3, fullName: "Bo", extensionNumber: "2", mobile: "+4570100000", iccids: [Self.iccid, "x"]),
        ])
        XCTAssertEqual(try read("\"full\"\"Name\",extension\n").errors.map(\.column), ["full\"Name", "fullName"])
        XCTAssertEqual(try read("fullName,extension\n\"He said \"\"hi\"\"\",\"\"\n").rows.first?.fullName, "He said \"hi\"")
    }

    func testAWrongNumberOfCellsIsReportedAndTheOtherRowsRead() throws {
        let document = try read("fullName,extension,email\nAnn,1,a@example.dk\nBo,2\nCy,3,c@example.dk,extra\n\"\",\"\",\"\"\n")
        XCTAssertEqual(document.errors, [
            StaffCSVError(row: 3, column: nil, rule: "cellCount", detail: "has 2 cells; the header has 3"),
            StaffCSVError(row: 4, column: nil, rule: "cellCount", detail: "has 4 cells; the header has 3"),
        ])
        XCTAssertEqual(document.rows.map(\.row), [2, 5])
        XCTAssertEqual(document.rows.last, StaffCSVRow(row: 5, fullName: "", extensionNumber: ""))
    }

    func testMalformedQuotingIsReportedWithRowAndColumn() throws {
        let document = try read("fullName,extension\nAnn,1\nB\"o,2\n\"Cy\"x,3\nDo,\"4\"\"\"5\"\n\"Eve,5\nFay,6\n")
        XCTAssertEqual(document.errors, [
            StaffCSVError(row: 3, column: "fullName", rule: "quoting",
                          detail: "a quote inside an unquoted cell (quote the whole cell and double the quote)"),
            StaffCSVError(row: 4, column: "fullName", rule: "quoting",
                          detail: "text after a quoted cell's closing quote (double a quote inside a quoted cell)"),
            StaffCSVError(row: 5, column: "extension", rule: "quoting",
                          detail: "text after a quoted cell's closing quote (double a quote inside a quoted cell)"),
            StaffCSVError(row: 6, column: "fullName", rule: "quoting",
                          detail: "a quoted cell is not closed (a quote is missing before the end of the file)"),
        ], "one error per cell, no cell count error after a quoting error")
        XCTAssertEqual(document.rows.map(\.fullName), ["Ann"], "rows with errors are not rows")
    }

    func testInvalidUTF8IsReportedInItsCell() throws {
        let bytes = Array("fullName,extension\nAnn,1\n".utf8) + [0xC3, 0x28] + Array(",2\nBo,3\n".utf8)
        let document = try StaffCSVReader.read(bytes, maxRows: 10, maxBytes: 100)
        XCTAssertEqual(document.errors, [StaffCSVError(row: 3, column: "fullName", rule: "encoding", detail: "is not valid UTF-8 (save the file as CSV UTF-8)")])
        XCTAssertEqual(document.rows.map(\.fullName), ["Ann", "Bo"])
    }

    func testHeaderErrors() throws {
        let unknown = try read("fullName,extension,Email,,mobile,fullName\nAnn,1,a,,,x\n")
        XCTAssertEqual(unknown.errors.map { "\($0.row)/\($0.column ?? "-")/\($0.rule)" },
                       ["1/Email/unknownColumn", "1//unknownColumn", "1/fullName/duplicateColumn"])
        XCTAssertEqual(unknown.rows, [], "no rows under a broken header")

        let missing = try read("fullName,email\nAnn,a@example.dk,extra\n")
        XCTAssertEqual(missing.errors, [
            StaffCSVError(row: 1, column: "extension", rule: "missingColumn", detail: "is required in the header"),
            StaffCSVError(row: 2, column: nil, rule: "cellCount", detail: "has 3 cells; the header has 2"),
        ])
        XCTAssertEqual(try read("FullName,extension\n").errors.map(\.rule), ["unknownColumn", "missingColumn"], "case-sensitive")
        XCTAssertEqual(try read("").errors.map { "\($0.row)/\($0.column ?? "-")/\($0.rule)" },
                       ["1/fullName/missingColumn", "1/extension/missingColumn"])
        XCTAssertEqual(try read("extension,fullName\n1,Ann\n").rows, [StaffCSVRow(row: 2, fullName: "Ann", extensionNumber: "1")])
    }

    // MARK: - Validation

    func testValidateReportsEveryRuleAtItsRowAndColumn() {
        let valid = StaffCSVRow(row: 2, fullName: " Ann ", extensionNumber: "101", email: "ann@example.dk", mobile: "+4570100000",
                                numbers: ["+4570100001"], iccids: [Self.iccid])
        XCTAssertEqual(valid.validate(extensionLengths: 2...4), [])

        let broken = StaffCSVRow(row: 7, fullName: "  ", extensionNumber: "10a", email: "ann", mobile: "+45",
                                 numbers: ["+4570100001", "4570100002"], iccids: [Self.wrongCheckDigit])
        XCTAssertEqual(broken.validate(extensionLengths: 2...4), [
            StaffCSVError(row: 7, column: "fullName", rule: "minLength", detail: "must not be empty"),
            StaffCSVError(row: 7, column: "extension", rule: "format", detail: "must contain digits only"),
            StaffCSVError(row: 7, column: "email", rule: "format", detail: "must be an e-mail address"),
            StaffCSVError(row: 7, column: "mobile", rule: "format", detail: "must be an E.164 number such as +4512345678"),
            StaffCSVError(row: 7, column: "number", rule: "format", detail: "value 2 of 2 must be an E.164 number such as +4512345678"),
            StaffCSVError(row: 7, column: "iccid", rule: "checkDigit", detail: "has a wrong check digit (Luhn)"),
        ])
        XCTAssertEqual(StaffCSVRow(row: 3, fullName: "Bo", extensionNumber: "12345").validate(extensionLengths: 2...4).map(\.rule), ["length"])
    }

    func testImportedRowsValidateAsTheyWereWritten() throws {
        let document = try read("fullName,extension,iccid\nAnn,101,\(Self.iccid) 123\n")
        XCTAssertEqual(document.rows.flatMap { $0.validate(extensionLengths: 3...3) },
                       [StaffCSVError(row: 2, column: "iccid", rule: "format", detail: "value 2 of 2 must be 19–20 digits")])
    }

    func testErrorsEncodeAsJSON() throws {
        let error = StaffCSVError(row: 2, column: nil, rule: "cellCount", detail: "d")
        XCTAssertEqual(try JSONDecoder().decode(StaffCSVError.self, from: JSONEncoder().encode(error)), error)
    }
}
