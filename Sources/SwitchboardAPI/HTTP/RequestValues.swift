package import Foundation
import SwitchboardDomain

/// Parsing of path, query and header values the generated code leaves as strings.
enum RequestValues {
    /// A path id; a malformed one is a 400 naming the parameter.
    static func id(_ value: String, field: String) throws -> UUID {
        // Exactly 36 characters: the parser stops at a NUL, so `<uuid>%00garbage` would otherwise pass as `<uuid>`.
        guard value.utf8.count == 36, let id = UUID(uuidString: value) else {
            throw Problem.badRequest("\(field) must be a UUID.", errors: [.init(field: field, rule: "format", message: "must be a UUID")])
        }
        return id
    }

    static func cursor(_ value: String?) throws -> UUID? {
        guard let value else { return nil }
        return try id(value, field: "cursor")
    }

    static func limit(_ value: Int?) throws -> Int {
        guard let value else { return 50 }
        guard (1...200).contains(value) else {
            throw Problem.badRequest("limit must be between 1 and 200.", errors: [.init(field: "limit", rule: "range", message: "must be between 1 and 200")])
        }
        return value
    }

    /// A calendar day `YYYY-MM-DD` as midnight UTC.
    static func day(_ value: String, field: String) throws -> Date {
        guard let day = parseDay(value) else {
            throw Problem.badRequest("\(field) must be a date (YYYY-MM-DD).", errors: [.init(field: field, rule: "format", message: "must be a date (YYYY-MM-DD)")])
        }
        return day
    }

    /// `YYYY-MM-DD` as midnight UTC, or nil: the one reading of a calendar day, for query and body values.
    static func parseDay(_ value: String) -> Date? {
        guard value.utf8.count == 10, let instant = UTCInstant(rfc3339: value + "T00:00:00Z") else { return nil }
        return Date(timeIntervalSince1970: Double(instant.microseconds) / 1_000_000)
    }

    /// A free-text query parameter: at most `maxLength` code points (the contract's `maxLength`),
    /// no control character (NUL cannot even reach PostgreSQL) and no bidirectional override.
    static func queryText(_ value: String?, field: String, maxLength: Int) throws -> String? {
        guard let value else { return nil }
        if value.unicodeScalars.contains(where: TextRule.isForbidden) {
            throw Problem.badRequest("\(field) must not contain control characters.",
                                     errors: [.init(field: field, rule: "format", message: "must not contain control characters")])
        }
        if value.unicodeScalars.count > maxLength {
            throw Problem.badRequest("\(field) must be at most \(maxLength) characters.",
                                     errors: [.init(field: field, rule: "maxLength", message: "must be at most \(maxLength) characters")])
        }
        return value
    }

    /// A parameter the contract constrains by `pattern`; `matches` states the same rule in Swift.
    static func matching(_ value: String?, field: String, description: String, _ matches: (String) -> Bool) throws -> String? {
        guard let value else { return nil }
        guard matches(value) else {
            throw Problem.badRequest("\(field) must be \(description).", errors: [.init(field: field, rule: "pattern", message: "must be \(description)")])
        }
        return value
    }

    /// An integer parameter the contract bounds by `minimum` and `maximum`.
    static func integer(_ value: Int?, field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value else { return nil }
        guard range.contains(value) else {
            throw Problem.badRequest("\(field) must be between \(range.lowerBound) and \(range.upperBound).",
                                     errors: [.init(field: field, rule: "range", message: "must be between \(range.lowerBound) and \(range.upperBound)")])
        }
        return value
    }

    static func etag(_ version: Int) -> String { "\"\(version)\"" }

    /// The version an `If-Match` names (``IfMatchRequiredMiddleware`` has refused none and `*`).
    /// RFC 9110 compares `If-Match` strongly: only a quoted strong tag of our form (`"3"`) can match;
    /// a weak tag (`W/"3"`), an unquoted or malformed value becomes -1, which always answers 412.
    static func expectedVersion(_ ifMatch: String) -> Int {
        let value = ifMatch.trimmingCharacters(in: .whitespaces)
        guard value.count >= 3, value.hasPrefix("\""), value.hasSuffix("\""),
              let version = Int(value.dropFirst().dropLast()), version >= 0,
              etag(version) == value  // no sign, no leading zeros: the exact text we sent
        else { return -1 }
        return version
    }
}

extension UUID {
    /// Lower-case, as every id appears in the API. Written digit by digit: every id of every
    /// response passes through here, and `uuidString` formats with `snprintf`.
    package var apiString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        buffer[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    buffer[index] = Self.hexDigits[Int(byte >> 4)]
                    buffer[index + 1] = Self.hexDigits[Int(byte & 0x0f)]
                    index += 2
                }
                return index
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
