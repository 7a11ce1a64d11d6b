package import Foundation
internal import OpenAPIRuntime
import SwitchboardDomain

/// The contract's `date-time` values as RFC 3339 in UTC with whole seconds (`2026-11-21T08:15:39Z`),
/// exactly what the runtime's default `ISO8601DateFormatter` writes, without its ICU cost on every date
/// of every response. Parses that form with optional fractional seconds and a `Z` or `±HH:MM` offset;
/// anything else is left to the default transcoder, so no input it accepted is refused.
package struct RFC3339DateTranscoder: DateTranscoder {
    private let fallback = ISO8601DateTranscoder.iso8601

    package init() {}

    package func encode(_ date: Date) throws -> String {
        // Like the formatter: the time in whole milliseconds (rounded), then its second (rounded down).
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard abs(milliseconds) < 1e15 else { return try fallback.encode(date) }
        let seconds = Int64(milliseconds).floorDivided(by: 1000)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = UTCInstant.civil(fromDays: days)
        // The formatter switches to the Julian calendar before the Gregorian reform.
        guard (Self.firstGregorianYear...9999).contains(year) else { return try fallback.encode(date) }
        let hour = secondOfDay / 3600, minute = secondOfDay % 3600 / 60, second = secondOfDay % 60
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int64, digits: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(Int64(year), digits: 4, at: 0); buffer[4] = UInt8(ascii: "-")
            put(Int64(month), digits: 2, at: 5); buffer[7] = UInt8(ascii: "-")
            put(Int64(day), digits: 2, at: 8); buffer[10] = UInt8(ascii: "T")
            put(hour, digits: 2, at: 11); buffer[13] = UInt8(ascii: ":")
            put(minute, digits: 2, at: 14); buffer[16] = UInt8(ascii: ":")
            put(second, digits: 2, at: 17); buffer[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    package func decode(_ text: String) throws -> Date {
        let year = text.utf8.count >= 5 && text.utf8.dropFirst(4).first == UInt8(ascii: "-") ? Int(text.prefix(4)) : nil
        if let year, year >= Self.firstGregorianYear {
            // The strict parser is the whole rule for these years: the formatter would roll 30 February
            // over into March, or read 24:00 as the next day.
            guard let instant = UTCInstant(rfc3339: text) else { throw Self.outOfRange(text) }
            return Date(timeIntervalSince1970: Double(instant.microseconds) / 1_000_000)
        }
        // The formatter reads years before the Gregorian reform in the Julian calendar: leave those to it,
        // but never beyond years 1–9999 (PostgresNIO traps on a date it cannot encode: found by attack).
        let date = try fallback.decode(text)
        guard date.timeIntervalSince1970 >= Self.firstInstant, date.timeIntervalSince1970 <= Self.lastInstant else { throw Self.outOfRange(text) }
        return date
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    static let firstInstant: TimeInterval = -62_135_596_800
    static let lastInstant: TimeInterval = 253_402_300_799

    static func outOfRange(_ text: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 date-time between the years 1 and 9999: \(text.prefix(40))"))
    }

    /// The first whole year of the Gregorian calendar (earlier dates are left to the formatter).
    static let firstGregorianYear = 1583
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}
