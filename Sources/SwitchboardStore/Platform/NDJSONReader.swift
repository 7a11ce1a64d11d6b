import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Reads an NDJSON body as it streams: counts it against the limit, hashes it for the
/// Idempotency-Key check, and hands out its lines.
struct NDJSONReader {
    let maxBodyBytes: Int
    private var received = 0
    private var digest = SHA256()
    private var splitter = LineSplitter()

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    mutating func consume(_ chunk: ArraySlice<UInt8>, _ line: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        received += chunk.count
        guard received <= maxBodyBytes else { throw BatchRefusal.tooLarge(limit: maxBodyBytes) }
        digest.update(data: chunk)
        try splitting { try $0.feed(chunk, line) }
    }

    /// The last line, then the body's SHA-256.
    mutating func finish(_ line: (Int, ArraySlice<UInt8>) throws -> Void) throws -> Data {
        try splitting { try $0.finish(line) }
        return Data(digest.finalize())
    }

    /// An over-long line is a bad line like any other.
    private mutating func splitting(_ body: (inout LineSplitter) throws -> Void) throws {
        do {
            try body(&splitter)
        } catch let error as LineSplitter.LineTooLong {
            throw BatchRefusal.invalidLine(FieldViolation(field: "(line)", rule: "maxLength", message: "line \(error.line): is longer than \(splitter.maxLineBytes) bytes", line: error.line))
        }
    }

    /// A record's broken rule, as the batch's refusal naming the line.
    static func checking<T>(_ line: Int, _ parse: () throws(FieldViolation) -> T) throws -> T {
        do {
            return try parse()
        } catch {
            let subject = error.field.hasPrefix("(") ? "the line" : error.field
            throw BatchRefusal.invalidLine(FieldViolation(field: error.field, rule: error.rule, message: "line \(line): \(subject) \(error.message)", line: line))
        }
    }
}
