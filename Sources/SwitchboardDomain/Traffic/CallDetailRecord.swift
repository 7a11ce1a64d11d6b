/// One call detail record as the network delivers it: one flat JSON object per NDJSON line.
///
/// Parsing is hand-written over bytes because a batch may hold millions of lines and the ingest
/// must keep pace with PostgreSQL's COPY; every rule names the field it checks.
public struct CallDetailRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case call, sms, data }
    public enum Direction: String, Sendable, CaseIterable { case outgoing, incoming }

    public var kind: Kind
    public var direction: Direction
    public var aNumber: String
    public var bNumber: String?
    /// As sent (RFC 3339), after validation; PostgreSQL parses the same text.
    public var startedAtText: String
    public var startedAt: UTCInstant
    public var durationSeconds: Int?
    public var bytes: Int64?
    public var ip: String?
    public var cell: String?
    public var country: String?
    /// The rated price in ten-thousandths of the rating currency.
    public var charge: FixedPoint4

    /// The subscriber the record is about, whose number decides reseller and customer.
    public var servedNumber: String {
        direction == .outgoing ? aNumber : (bNumber ?? aNumber)
    }

    /// Minutes as telecom bills them: every started minute of a call counts.
    public var billedMinutes: Int {
        guard kind == .call, let durationSeconds else { return 0 }
        return (durationSeconds + 59) / 60
    }

    /// The members a CDR line may have.
    enum Field: Int, CaseIterable {
        case kind, direction, aNumber, bNumber, startedAt, durationSeconds, bytes, ip, cell, country, charge

        init?(name: String) {
            switch name {
            case "kind": self = .kind
            case "direction": self = .direction
            case "aNumber": self = .aNumber
            case "bNumber": self = .bNumber
            case "startedAt": self = .startedAt
            case "durationSeconds": self = .durationSeconds
            case "bytes": self = .bytes
            case "ip": self = .ip
            case "cell": self = .cell
            case "country": self = .country
            case "charge": self = .charge
            default: return nil
            }
        }

        var name: String { CallDetailRecord.fields[rawValue] }
    }

    public static let fields = ["kind", "direction", "aNumber", "bNumber", "startedAt", "durationSeconds", "bytes", "ip", "cell", "country", "charge"]

    /// Parses and checks one line. `accepted` is the window of start times the platform takes:
    /// records older than the retention period or from the future are refused.
    public static func parse(_ line: ArraySlice<UInt8>, accepted: ClosedRange<UTCInstant>) throws(FieldViolation) -> CallDetailRecord {
        let members: [(key: String, value: FlatJSON.Value)]
        do {
            members = try FlatJSON.parseObject(line)
        } catch {
            throw FieldViolation(field: "(line)", rule: "json", message: "is not a flat JSON object: \(error.reason)")
        }
        // Indexed by Field.rawValue: a fixed table, not a dictionary, since this runs once per record.
        var values = [FlatJSON.Value?](repeating: nil, count: Field.allCases.count)
        for (key, value) in members {
            guard let field = Field(name: key) else {
                throw FieldViolation(field: key, rule: "unknown-field", message: "is not a CDR field (expected one of \(fields.joined(separator: ", ")))")
            }
            guard values[field.rawValue] == nil else {
                throw FieldViolation(field: key, rule: "duplicate", message: "appears twice")
            }
            values[field.rawValue] = value
        }

        func string(_ field: Field, required: Bool) throws(FieldViolation) -> String? {
            switch values[field.rawValue] {
            case .string(let text)?: return text
            case nil, .null?:
                if required { throw FieldViolation(field: field.name, rule: "required", message: "is required") }
                return nil
            default: throw FieldViolation(field: field.name, rule: "type", message: "must be a string")
            }
        }
        func integer(_ field: Field, range: ClosedRange<Int64>) throws(FieldViolation) -> Int64? {
            switch values[field.rawValue] {
            case nil, .null?: return nil
            case .number(let text)?:
                guard let value = Int64(text), range.contains(value) else {
                    throw FieldViolation(field: field.name, rule: "range", message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                return value
            default: throw FieldViolation(field: field.name, rule: "type", message: "must be a number")
            }
        }
        func number(_ field: Field, required: Bool) throws(FieldViolation) -> String? {
            guard let value = try string(field, required: required) else { return nil }
            guard E164.isValid(value) else { throw FieldViolation(field: field.name, rule: "format", message: "must be an E.164 number such as +4512345678") }
            return value
        }

        guard let kindText = try string(.kind, required: true), let kind = Kind(rawValue: kindText) else {
            throw FieldViolation(field: "kind", rule: "enum", message: "must be one of call, sms, data")
        }
        let directionText = try string(.direction, required: false) ?? "outgoing"
        guard let direction = Direction(rawValue: directionText) else {
            throw FieldViolation(field: "direction", rule: "enum", message: "must be outgoing or incoming")
        }
        let aNumber = try number(.aNumber, required: true)!
        let bNumber = try number(.bNumber, required: kind != .data)
        if direction == .incoming, bNumber == nil {
            throw FieldViolation(field: "bNumber", rule: "required", message: "is required for an incoming record (it is the served subscriber)")
        }
        let startedAtText = try string(.startedAt, required: true)!
        guard let startedAt = UTCInstant(rfc3339: startedAtText) else {
            throw FieldViolation(field: "startedAt", rule: "format", message: "must be an RFC 3339 date-time such as 2026-11-21T08:15:39Z")
        }
        guard accepted.contains(startedAt) else {
            throw FieldViolation(field: "startedAt", rule: "range", message: "must lie within the last \(RetentionPeriod.trafficDataMonths) months and not in the future")
        }
        let duration = try integer(.durationSeconds, range: 0...Int64(Int32.max))
        // One petabyte per session is far beyond any real record and keeps monthly sums exact in 64 bits.
        let bytes = try integer(.bytes, range: 0...1_000_000_000_000_000)
        switch kind {
        case .call:
            guard duration != nil else { throw FieldViolation(field: "durationSeconds", rule: "required", message: "is required for a call") }
            guard bytes == nil else { throw FieldViolation(field: "bytes", rule: "not-applicable", message: "applies to data sessions only") }
        case .sms:
            guard duration == nil else { throw FieldViolation(field: "durationSeconds", rule: "not-applicable", message: "does not apply to an SMS") }
            guard bytes == nil else { throw FieldViolation(field: "bytes", rule: "not-applicable", message: "applies to data sessions only") }
        case .data:
            // A data session may carry its length as well.
            guard bytes != nil else { throw FieldViolation(field: "bytes", rule: "required", message: "is required for a data session") }
        }
        let ip = try string(.ip, required: false)
        if let ip, !IPAddressText.isValid(ip) {
            throw FieldViolation(field: "ip", rule: "format", message: "must be an IPv4 or IPv6 address")
        }
        let cell = try string(.cell, required: false)
        if let cell, !(1...64).contains(cell.utf8.count) || !cell.utf8.allSatisfy(Self.isCellCharacter) {
            throw FieldViolation(field: "cell", rule: "format", message: "must be 1–64 letters, digits or - _ . :")
        }
        let country = try string(.country, required: false)
        if let country, country.utf8.count != 2 || !country.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) {
            throw FieldViolation(field: "country", rule: "format", message: "must be an ISO 3166-1 alpha-2 code such as DK")
        }
        let charge: FixedPoint4
        switch values[Field.charge.rawValue] {
        case nil, .null?: charge = FixedPoint4(tenThousandths: 0)
        case .number(let text)?, .string(let text)?:
            guard let parsed = FixedPoint4(text), parsed.tenThousandths >= 0 else {
                throw FieldViolation(field: "charge", rule: "format", message: "must be a non-negative amount with at most 4 decimals")
            }
            charge = parsed
        default: throw FieldViolation(field: "charge", rule: "type", message: "must be a number")
        }
        return CallDetailRecord(
            kind: kind, direction: direction, aNumber: aNumber, bNumber: bNumber, startedAtText: startedAtText, startedAt: startedAt,
            durationSeconds: duration.map { Int($0) }, bytes: bytes, ip: ip, cell: cell, country: country, charge: charge
        )
    }

    static func isCellCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"): true
        default: false
        }
    }
}

/// A decimal amount with four fixed decimals, kept as an integer so sums are exact.
public struct FixedPoint4: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var tenThousandths: Int64

    public init(tenThousandths: Int64) {
        self.tenThousandths = tenThousandths
    }

    /// `12`, `12.5`, `-0.0001`; no exponent, at most four decimals.
    public init?(_ text: String) {
        var utf8 = Substring(text).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var decimals = 0
        var seenPoint = false
        var digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            digits += 1
            if seenPoint {
                decimals += 1
                guard decimals <= 4 else { return nil }
                fraction = fraction * 10 + digit
            } else {
                // numeric(14, 4) in the schema: at most 10 whole digits.
                guard whole < 1_000_000_000 else { return nil }
                whole = whole * 10 + digit
            }
        }
        guard digits > 0 else { return nil }
        for _ in decimals..<4 { fraction *= 10 }
        tenThousandths = (whole * 10_000 + fraction) * (negative ? -1 : 1)
    }

    public static func + (lhs: FixedPoint4, rhs: FixedPoint4) -> FixedPoint4 {
        FixedPoint4(tenThousandths: lhs.tenThousandths + rhs.tenThousandths)
    }

    /// `12.5000`: the form PostgreSQL's numeric reads and the API returns.
    public var description: String {
        let sign = tenThousandths < 0 ? "-" : ""
        let magnitude = tenThousandths.magnitude
        let fraction = String(magnitude % 10_000)
        return "\(sign)\(magnitude / 10_000).\(String(repeating: "0", count: 4 - fraction.count))\(fraction)"
    }
}

/// A point in time as microseconds since 1970 (UTC), with the calendar arithmetic the CDR
/// pipeline needs (RFC 3339 parsing, the month a record belongs to) and nothing else.
public struct UTCInstant: Sendable, Comparable, Hashable {
    public var microseconds: Int64

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public init(secondsSince1970 seconds: Double) {
        microseconds = Int64((seconds * 1_000_000).rounded())
    }

    public static func < (lhs: UTCInstant, rhs: UTCInstant) -> Bool { lhs.microseconds < rhs.microseconds }

    public func adding(seconds: Int64) -> UTCInstant { UTCInstant(microseconds: microseconds + seconds * 1_000_000) }

    /// The same instant `months` calendar months earlier (the day clamped to the shorter month).
    public func subtracting(months: Int) -> UTCInstant {
        let days = Self.floorDivide(microseconds, 86_400_000_000)
        let timeOfDay = microseconds - days * 86_400_000_000
        let date = Self.civil(fromDays: days)
        var monthIndex = date.year * 12 + (date.month - 1) - months
        let year = Self.floorDivide(Int64(monthIndex), 12)
        monthIndex -= Int(year) * 12
        let day = min(date.day, Self.daysIn(year: Int(year), month: monthIndex + 1))
        return UTCInstant(microseconds: Self.days(year: Int(year), month: monthIndex + 1, day: day) * 86_400_000_000 + timeOfDay)
    }

    /// The first day of the month (UTC) the instant falls in, as `YYYY-MM-01`.
    public var monthStart: String {
        let date = Self.civil(fromDays: Self.floorDivide(microseconds, 86_400_000_000))
        let month = date.month < 10 ? "0\(date.month)" : "\(date.month)"
        return "\(date.year)-\(month)-01"
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`, `z` and a space separator are accepted too.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<start + count {
                let byte = bytes[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes.count >= 20,
              let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"), let month = digits(5, 2), bytes[7] == UInt8(ascii: "-"), let day = digits(8, 2),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
              let hour = digits(11, 2), bytes[13] == UInt8(ascii: ":"), let minute = digits(14, 2), bytes[16] == UInt8(ascii: ":"), let second = digits(17, 2),
              (1...12).contains(month), (1...Self.daysIn(year: year, month: month)).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100_000
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                micros += Int64(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let hours = digits(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"), let minutes = digits(index + 4, 2),
                  hours < 24, minutes < 60 else { return nil }
            offsetMinutes = (hours * 60 + minutes) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = Self.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        microseconds = seconds * 1_000_000 + micros
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    private static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    private static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The UTC calendar date `days` after 1970-01-01, proleptic Gregorian (Howard Hinnant's civil_from_days).
    public static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A record's first broken rule is thrown as is.
extension FieldViolation: Error {}

/// One network telemetry event: what happened (`type`), where (`node`), when, to which number
/// or SIM, with a flat object of scalar attributes.
public struct TelemetryEvent: Sendable, Equatable {
    public var type: String
    public var occurredAtText: String
    public var occurredAt: UTCInstant
    public var node: String
    public var subjectNumber: String?
    public var subjectICCID: String?
    /// Compact JSON of the attributes object (`{}` when none were sent).
    public var attributesJSON: String

    public static let fields = ["type", "occurredAt", "node", "subjectNumber", "subjectIccid", "attributes"]

    public static func parse(_ line: ArraySlice<UInt8>, accepted: ClosedRange<UTCInstant>) throws(FieldViolation) -> TelemetryEvent {
        let members: [(key: String, value: FlatJSON.Value)]
        do {
            members = try FlatJSON.parseObject(line)
        } catch {
            throw FieldViolation(field: "(line)", rule: "json", message: "is not a JSON object of scalars and one attributes object: \(error.reason)")
        }
        var values: [String: FlatJSON.Value] = [:]
        for (key, value) in members {
            guard fields.contains(key) else {
                throw FieldViolation(field: key, rule: "unknown-field", message: "is not a telemetry field (expected one of \(fields.joined(separator: ", ")))")
            }
            guard values.updateValue(value, forKey: key) == nil else { throw FieldViolation(field: key, rule: "duplicate", message: "appears twice") }
        }
        func string(_ field: String, required: Bool) throws(FieldViolation) -> String? {
            switch values[field] {
            case .string(let text)?: return text
            case nil, .null?:
                if required { throw FieldViolation(field: field, rule: "required", message: "is required") }
                return nil
            default: throw FieldViolation(field: field, rule: "type", message: "must be a string")
            }
        }
        let type = try string("type", required: true)!
        guard (1...64).contains(type.utf8.count), type.utf8.first.map({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) == true,
              type.utf8.allSatisfy({ CallDetailRecord.isCellCharacter($0) && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) && $0 != UInt8(ascii: ":") })
        else { throw FieldViolation(field: "type", rule: "format", message: "must be 1–64 lower-case letters, digits or - _ . starting with a letter, e.g. cell.handover") }
        let occurredAtText = try string("occurredAt", required: true)!
        guard let occurredAt = UTCInstant(rfc3339: occurredAtText) else {
            throw FieldViolation(field: "occurredAt", rule: "format", message: "must be an RFC 3339 date-time such as 2026-11-21T08:15:39Z")
        }
        guard accepted.contains(occurredAt) else {
            throw FieldViolation(field: "occurredAt", rule: "range", message: "must lie within the last \(RetentionPeriod.telemetryMonths) months and not in the future")
        }
        let node = try string("node", required: true)!
        guard (1...64).contains(node.utf8.count), node.utf8.allSatisfy(CallDetailRecord.isCellCharacter) else {
            throw FieldViolation(field: "node", rule: "format", message: "must be 1–64 letters, digits or - _ . :")
        }
        let number = try string("subjectNumber", required: false)
        if let number, !E164.isValid(number) {
            throw FieldViolation(field: "subjectNumber", rule: "format", message: "must be an E.164 number such as +4512345678")
        }
        let iccid = try string("subjectIccid", required: false)
        if let iccid, !((19...20).contains(iccid.count) && Luhn.isValid(iccid)) {
            throw FieldViolation(field: "subjectIccid", rule: "format", message: "must be a 19–20 digit ICCID with a valid check digit")
        }
        let attributes: String
        switch values["attributes"] {
        case nil, .null?: attributes = "{}"
        case .object(let members)?:
            guard members.count <= 32, members.allSatisfy({ (1...64).contains($0.key.utf8.count) }) else {
                throw FieldViolation(field: "attributes", rule: "maxItems", message: "may hold at most 32 members with names of 1–64 characters")
            }
            guard Set(members.map(\.key)).count == members.count else {
                throw FieldViolation(field: "attributes", rule: "duplicate", message: "has a member twice")
            }
            attributes = FlatJSON.Value.object(members).json
            guard attributes.utf8.count <= 4096 else { throw FieldViolation(field: "attributes", rule: "maxLength", message: "may be at most 4096 bytes") }
        default:
            throw FieldViolation(field: "attributes", rule: "type", message: "must be an object")
        }
        return TelemetryEvent(type: type, occurredAtText: occurredAtText, occurredAt: occurredAt, node: node, subjectNumber: number,
                              subjectICCID: iccid, attributesJSON: attributes)
    }
}
