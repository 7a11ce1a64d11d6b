import Foundation

/// Reads a staff CSV import (RFC 4180) from the request body's chunks as they arrive, and throws
/// ``StaffCSVLimitExceeded`` at the chunk that passes the byte limit or the first byte of the data
/// row that passes the row limit, so the server never buffers more than the limits allow.
///
/// Accepted: a UTF-8 byte-order mark at the start; CRLF, LF or CR line ends; quoted cells with
/// doubled quotes and line breaks; blank lines anywhere (skipped, but counted in row numbers, so
/// they match the spreadsheet's). Everything else wrong with the file's shape becomes a
/// ``StaffCSVError`` in the document and reading goes on, so a dry run reports every error at once.
///
/// Hand-written rather than yaslab/CSV.swift or swiftcsv/SwiftCSV: both read a complete String or
/// pull from a blocking InputStream, so neither can be pushed a body's chunks as they arrive nor stop
/// at a limit mid-body; the state machine below is small, and adds no package to build.
package struct StaffCSVReader: Sendable {
    package let maxRows: Int
    package let maxBytes: Int

    private enum State: Sendable {
        /// The first bytes, while they may be a byte-order mark (`matched` of its 3 bytes seen).
        case byteOrderMark(matched: Int)
        case cellStart
        case unquoted
        case quoted
        /// A quote inside a quoted cell: a doubled quote or the closing one.
        case quoteInQuoted
        /// A CR ended a record; an LF right after it belongs to the same line end.
        case afterCR
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

    private var state = State.byteOrderMark(matched: 0)
    private var bytesRead = 0
    private var dataRows = 0
    /// The number of the record being read (blank lines included).
    private var row = 1
    private var recordStarted = false
    /// The index of the cell in this record that has a quoting error, if any.
    private var quotingErrorCell: Int?
    private var recordHasQuotingError: Bool { quotingErrorCell != nil }
    private var recordHasEncodingError = false
    private var cells: [String?] = []
    private var cell: [UInt8] = []
    /// The header's cells, trimmed, once the first record has been read.
    private var headerNames: [String]?
    private var columnIndex: [StaffCSVColumn: Int] = [:]
    private var headerIsValid = false
    private var rows: [StaffCSVRow] = []
    private var errors: [StaffCSVError] = []
    private var failure: StaffCSVLimitExceeded?
    private var finished = false

    /// - Parameters:
    ///   - maxRows: data rows allowed (the header and blank lines do not count).
    ///   - maxBytes: bytes allowed in the whole body.
    package init(maxRows: Int, maxBytes: Int) {
        self.maxRows = maxRows
        self.maxBytes = maxBytes
    }

    /// Reads a complete body.
    package static func read(_ bytes: some Collection<UInt8>, maxRows: Int, maxBytes: Int) throws(StaffCSVLimitExceeded) -> StaffCSVDocument {
        var reader = StaffCSVReader(maxRows: maxRows, maxBytes: maxBytes)
        try reader.consume(bytes)
        return try reader.finish()
    }

    /// Reads the next chunk of the body. After it has thrown, every later call throws the same.
    package mutating func consume(_ bytes: some Collection<UInt8>) throws(StaffCSVLimitExceeded) {
        precondition(!finished, "StaffCSVReader.consume after finish")
        if let failure { throw failure }
        let count = bytes.count
        guard count <= maxBytes - bytesRead else { throw fail(.bytes, maximum: maxBytes) }
        bytesRead += count
        for byte in bytes { try step(byte) }
    }

    /// Ends the body and returns what it held.
    package mutating func finish() throws(StaffCSVLimitExceeded) -> StaffCSVDocument {
        precondition(!finished, "StaffCSVReader.finish called twice")
        if let failure { throw failure }
        finished = true
        if case .byteOrderMark(let matched) = state {
            // A body shorter than a byte-order mark that began like one: read what it was.
            state = .cellStart
            for byte in Self.byteOrderMark[..<matched] { try step(byte) }
        }
        switch state {
        case .quoted:
            quotingError("a quoted cell is not closed (a quote is missing before the end of the file)")
            endCell()
            endRecord()
        case .unquoted, .quoteInQuoted:
            endCell()
            endRecord()
        case .cellStart where recordStarted:
            endCell()
            endRecord()
        case .cellStart, .afterCR, .byteOrderMark:
            break
        }
        if headerNames == nil {
            // An empty body: reported as a header without the required columns.
            readHeader()
        }
        let columns = columnIndex.sorted { $0.value < $1.value }.map(\.key)
        return StaffCSVDocument(columns: columns, rows: rows, errors: errors)
    }

    private mutating func fail(_ limit: StaffCSVLimitExceeded.Limit, maximum: Int) -> StaffCSVLimitExceeded {
        let failure = StaffCSVLimitExceeded(limit: limit, maximum: maximum)
        self.failure = failure
        return failure
    }

    private mutating func step(_ byte: UInt8) throws(StaffCSVLimitExceeded) {
        switch state {
        case .byteOrderMark(let matched):
            if byte == Self.byteOrderMark[matched] {
                state = matched == 2 ? .cellStart : .byteOrderMark(matched: matched + 1)
                return
            }
            state = .cellStart
            for replayed in Self.byteOrderMark[..<matched] { try step(replayed) }
            try step(byte)
        case .afterCR:
            state = .cellStart
            if byte != Self.lf { try step(byte) }
        case .cellStart:
            switch byte {
            case Self.cr, Self.lf:
                if recordStarted {
                    endCell()
                    endRecord()
                } else {
                    row += 1  // a blank line
                }
                state = byte == Self.cr ? .afterCR : .cellStart
            case Self.quote:
                try startRecord()
                state = .quoted
            case Self.comma:
                try startRecord()
                endCell()
            default:
                try startRecord()
                cell.append(byte)
                state = .unquoted
            }
        case .unquoted:
            switch byte {
            case Self.comma:
                endCell()
                state = .cellStart
            case Self.cr, Self.lf:
                endCell()
                endRecord()
                state = byte == Self.cr ? .afterCR : .cellStart
            case Self.quote:
                quotingError("a quote inside an unquoted cell (quote the whole cell and double the quote)")
                cell.append(byte)
            default:
                cell.append(byte)
            }
        case .quoted:
            if byte == Self.quote { state = .quoteInQuoted } else { cell.append(byte) }
        case .quoteInQuoted:
            switch byte {
            case Self.quote:
                cell.append(byte)
                state = .quoted
            case Self.comma:
                endCell()
                state = .cellStart
            case Self.cr, Self.lf:
                endCell()
                endRecord()
                state = byte == Self.cr ? .afterCR : .cellStart
            default:
                quotingError("text after a quoted cell's closing quote (double a quote inside a quoted cell)")
                cell.append(byte)
                state = .unquoted
            }
        }
    }

    /// The first byte of a record that is not a blank line: counts a data row against the limit.
    private mutating func startRecord() throws(StaffCSVLimitExceeded) {
        guard !recordStarted else { return }
        recordStarted = true
        guard headerNames != nil else { return }
        dataRows += 1
        if dataRows > maxRows { throw fail(.rows, maximum: maxRows) }
    }

    /// The header's name of the cell being read, or nil in the header itself and past its last column.
    private var currentColumn: String? {
        guard let headerNames, cells.count < headerNames.count else { return nil }
        return headerNames[cells.count]
    }

    private mutating func quotingError(_ detail: String) {
        // One per cell is enough: the rest of a cell after a stray quote is read as it stands.
        guard quotingErrorCell != cells.count else { return }
        quotingErrorCell = cells.count
        errors.append(StaffCSVError(row: row, column: currentColumn, rule: "quoting", detail: detail))
    }

    private mutating func endCell() {
        if let text = String(validating: cell, as: UTF8.self) {
            cells.append(text)
        } else {
            recordHasEncodingError = true
            errors.append(StaffCSVError(row: row, column: currentColumn, rule: "encoding", detail: "is not valid UTF-8 (save the file as CSV UTF-8)"))
            cells.append(nil)
        }
        cell.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord() {
        defer {
            row += 1
            cells.removeAll(keepingCapacity: true)
            recordStarted = false
            quotingErrorCell = nil
            recordHasEncodingError = false
        }
        guard let headerNames else {
            readHeader()
            return
        }
        if cells.count != headerNames.count, !recordHasQuotingError {
            // After a quoting error the count says little: an unclosed quote swallows the rest.
            errors.append(StaffCSVError(
                row: row, column: nil, rule: "cellCount", detail: "has \(cells.count) cells; the header has \(headerNames.count)"
            ))
            return
        }
        guard headerIsValid, !recordHasQuotingError, !recordHasEncodingError else { return }
        func value(_ column: StaffCSVColumn) -> String? {
            columnIndex[column].map { StaffCSVFormulaGuard.restored(cells[$0]!) }
        }
        func optional(_ column: StaffCSVColumn) -> String? {
            value(column).flatMap { $0.allSatisfy { $0 == " " || $0 == "\t" } ? nil : $0 }
        }
        func list(_ column: StaffCSVColumn) -> [String] {
            (value(column) ?? "").split(separator: " ").map(String.init)
        }
        rows.append(StaffCSVRow(
            row: row, fullName: value(.fullName)!, extensionNumber: value(.extension)!,
            email: optional(.email), mobile: optional(.mobile), numbers: list(.number), iccids: list(.iccid)
        ))
    }

    private mutating func readHeader() {
        let names = cells.map { $0?.trimmingCharacters(in: .whitespaces) ?? "" }
        headerNames = names
        var valid = !recordHasQuotingError && !recordHasEncodingError
        for (index, name) in names.enumerated() where cells[index] != nil {
            guard let column = StaffCSVColumn(rawValue: name) else {
                valid = false
                errors.append(StaffCSVError(
                    row: row, column: name, rule: "unknownColumn",
                    detail: "is not a column; the columns are " + StaffCSVColumn.allCases.map(\.rawValue).joined(separator: ", ") + " (case-sensitive)"
                ))
                continue
            }
            guard columnIndex[column] == nil else {
                valid = false
                errors.append(StaffCSVError(row: row, column: name, rule: "duplicateColumn", detail: "is named more than once in the header"))
                continue
            }
            columnIndex[column] = index
        }
        for column in StaffCSVColumn.allCases where column.isRequired && columnIndex[column] == nil {
            valid = false
            errors.append(StaffCSVError(row: row, column: column.rawValue, rule: "missingColumn", detail: "is required in the header"))
        }
        headerIsValid = valid
    }
}
