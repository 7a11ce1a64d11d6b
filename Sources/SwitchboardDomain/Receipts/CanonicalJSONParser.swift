/// The hand-written RFC 8259 parser behind ``CanonicalJSON/init(parsing:)``. Hand-written rather than
/// Foundation's, because a signature check must refuse what Foundation tolerates or reads lossily:
/// duplicate keys, floating-point numbers, unpaired surrogates, invalid UTF-8.
struct CanonicalJSONParser {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(CanonicalJSONError) -> CanonicalJSON {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw .trailingData(offset: index) }
        return value
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(CanonicalJSONError) -> CanonicalJSON {
        switch try peek() {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try parseInteger())
        case UInt8(ascii: "t"): try consumeLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try consumeLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try consumeLiteral("null"); return .null
        case let byte: throw .unexpectedByte(byte, offset: index, expected: "a value")
        }
    }

    private mutating func parseObject(depth: Int) throws(CanonicalJSONError) -> CanonicalJSON {
        guard depth <= CanonicalJSON.maximumDepth else {
            throw .nestingTooDeep(offset: index, limit: CanonicalJSON.maximumDepth)
        }
        index += 1  // "{"
        var members: [String: CanonicalJSON] = [:]
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = index
            let byte = try peek()
            guard byte == UInt8(ascii: "\"") else { throw .unexpectedByte(byte, offset: index, expected: "a string key") }
            let key = try parseString()
            guard members[key] == nil else { throw .duplicateKey(key, offset: keyOffset) }
            skipWhitespace()
            try consume(UInt8(ascii: ":"), expected: "':'")
            skipWhitespace()
            members[key] = try parseValue(depth: depth)
            skipWhitespace()
            let separatorOffset = index
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return .object(members)
            case let other: throw .unexpectedByte(other, offset: separatorOffset, expected: "',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(CanonicalJSONError) -> CanonicalJSON {
        guard depth <= CanonicalJSON.maximumDepth else {
            throw .nestingTooDeep(offset: index, limit: CanonicalJSON.maximumDepth)
        }
        index += 1  // "["
        var elements: [CanonicalJSON] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            let separatorOffset = index
            switch try next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return .array(elements)
            case let other: throw .unexpectedByte(other, offset: separatorOffset, expected: "',' or ']'")
            }
        }
    }

    // MARK: Numbers

    /// Reads the whole RFC 8259 number grammar, so `1.5` is refused as a non-integer and `1.` as malformed.
    private mutating func parseInteger() throws(CanonicalJSONError) -> Int64 {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let digitsStart = index
        try consumeDigits()
        if bytes[digitsStart] == UInt8(ascii: "0"), index - digitsStart > 1 { throw .leadingZero(offset: start) }
        let digitsEnd = index
        var fractional = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            try consumeDigits()
            fractional = true
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            try consumeDigits()
            fractional = true
        }
        guard !fractional else { throw .nonIntegerNumber(offset: start) }
        var value: Int64 = 0
        for byte in bytes[digitsStart..<digitsEnd] {
            let digit = Int64(byte &- UInt8(ascii: "0"))
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = negative
                ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { throw .integerOutOfRange(offset: start) }
            value = next
        }
        return value
    }

    /// One or more ASCII digits.
    private mutating func consumeDigits() throws(CanonicalJSONError) {
        let byte = try peek()
        guard Self.isDigit(byte) else { throw .unexpectedByte(byte, offset: index, expected: "a digit") }
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    // MARK: Strings

    private mutating func parseString() throws(CanonicalJSONError) -> String {
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            let start = index
            let byte = try next()
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: utf8, as: UTF8.self)  // validated below
            case UInt8(ascii: "\\"): try parseEscape(startingAt: start, into: &utf8)
            case 0x00..<0x20: throw .unescapedControlCharacter(byte, offset: start)
            case 0x20..<0x80: utf8.append(byte)
            default: try copyMultibyteScalar(lead: byte, at: start, into: &utf8)
            }
        }
    }

    /// Copies one well-formed multi-byte UTF-8 sequence (Unicode Table 3-7): no overlong forms,
    /// no encoded surrogates, nothing beyond U+10FFFF.
    private mutating func copyMultibyteScalar(lead: UInt8, at start: Int, into utf8: inout [UInt8])
        throws(CanonicalJSONError)
    {
        let continuationCount: Int
        let secondByte: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: (continuationCount, secondByte) = (1, 0x80...0xBF)
        case 0xE0: (continuationCount, secondByte) = (2, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (continuationCount, secondByte) = (2, 0x80...0xBF)
        case 0xED: (continuationCount, secondByte) = (2, 0x80...0x9F)
        case 0xF0: (continuationCount, secondByte) = (3, 0x90...0xBF)
        case 0xF1...0xF3: (continuationCount, secondByte) = (3, 0x80...0xBF)
        case 0xF4: (continuationCount, secondByte) = (3, 0x80...0x8F)
        default: throw .invalidUTF8(offset: start)
        }
        utf8.append(lead)
        for position in 0..<continuationCount {
            guard index < bytes.count else { throw .invalidUTF8(offset: start) }
            let byte = bytes[index]
            guard (position == 0 ? secondByte : 0x80...0xBF).contains(byte) else { throw .invalidUTF8(offset: start) }
            utf8.append(byte)
            index += 1
        }
    }

    private mutating func parseEscape(startingAt start: Int, into utf8: inout [UInt8]) throws(CanonicalJSONError) {
        let simple: UInt8? =
            switch try next() {
            case UInt8(ascii: "\""): 0x22
            case UInt8(ascii: "\\"): 0x5C
            case UInt8(ascii: "/"): 0x2F
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "u"): nil
            default: throw .invalidEscape(offset: start)
            }
        if let simple {
            utf8.append(simple)
            return
        }
        let unit = try parseHex4(escapeStart: start)
        var scalarValue = UInt32(unit)
        switch unit {
        case 0xD800...0xDBFF:
            let lowStart = index
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw .loneSurrogate(offset: start) }
            index += 2
            let low = try parseHex4(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else { throw .loneSurrogate(offset: start) }
            scalarValue = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00)
        default:
            break
        }
        // A low surrogate on its own is no scalar.
        guard let scalar = Unicode.Scalar(scalarValue) else { throw .loneSurrogate(offset: start) }
        utf8 += scalar.utf8
    }

    private mutating func parseHex4(escapeStart: Int) throws(CanonicalJSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = try next()
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidEscape(offset: escapeStart)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    // MARK: Bytes

    private mutating func consumeLiteral(_ literal: String) throws(CanonicalJSONError) {
        for expected in literal.utf8 {
            try consume(expected, expected: "'\(literal)'")
        }
    }

    private mutating func consume(_ expectedByte: UInt8, expected: String) throws(CanonicalJSONError) {
        let offset = index
        let byte = try next()
        guard byte == expectedByte else { throw .unexpectedByte(byte, offset: offset, expected: expected) }
    }

    private func peek() throws(CanonicalJSONError) -> UInt8 {
        guard index < bytes.count else { throw .unexpectedEnd(offset: index) }
        return bytes[index]
    }

    private mutating func next() throws(CanonicalJSONError) -> UInt8 {
        let byte = try peek()
        index += 1
        return byte
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}
