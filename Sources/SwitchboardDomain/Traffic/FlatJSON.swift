#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict parser for one flat JSON object, the shape of an NDJSON record: string, number,
/// boolean and null members, and at most one level of nested object (telemetry attributes).
/// Arrays and deeper nesting are refused: a record is a row, not a document.
public enum FlatJSON {
    public enum Value: Sendable, Equatable {
        case string(String)
        /// The number's text exactly as sent, so integers and decimals lose nothing.
        case number(String)
        case bool(Bool)
        case null
        /// A nested object of scalars.
        case object([Member])

        /// Compact JSON text of the value.
        public var json: String {
            switch self {
            case .string(let text): FlatJSON.quoted(text)
            case .number(let text): text
            case .bool(let value): value ? "true" : "false"
            case .null: "null"
            case .object(let members): "{" + members.map { FlatJSON.quoted($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
            }
        }
    }

    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: Value
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    public struct SyntaxError: Error, Sendable {
        public let reason: String
    }

    public static func parseObject(_ bytes: ArraySlice<UInt8>) throws(SyntaxError) -> [(key: String, value: Value)] {
        var parser = Parser(bytes: bytes)
        return try parser.object()
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        var index: Int

        /// 0 in the record, 1 inside a nested object.
        var depth = 0

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        /// 1-based position within the line, for messages.
        var position: Int { index - bytes.startIndex + 1 }

        /// The whole line: one object and nothing after it.
        mutating func object() throws(SyntaxError) -> [(key: String, value: Value)] {
            let result = try members()
            skipWhitespace()
            guard index == bytes.endIndex else { throw SyntaxError(reason: "unexpected content after the object at byte \(position)") }
            return result
        }

        mutating func members() throws(SyntaxError) -> [(key: String, value: Value)] {
            skipWhitespace()
            try expect(UInt8(ascii: "{"))
            var members: [(key: String, value: Value)] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    let key = try string()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"))
                    skipWhitespace()
                    members.append((key, try value()))
                    skipWhitespace()
                    guard let next = peek() else { throw SyntaxError(reason: "unterminated object") }
                    index += 1
                    if next == UInt8(ascii: "}") { break }
                    guard next == UInt8(ascii: ",") else { throw SyntaxError(reason: "expected ',' or '}' at byte \(position - 1)") }
                }
            }
            return members
        }

        func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(SyntaxError) {
            guard peek() == byte else { throw SyntaxError(reason: "expected '\(Character(Unicode.Scalar(byte)))' at byte \(position)") }
            index += 1
        }

        mutating func value() throws(SyntaxError) -> Value {
            switch peek() {
            case UInt8(ascii: "\"")?: return .string(try string())
            case UInt8(ascii: "t")?: try literal("true"); return .bool(true)
            case UInt8(ascii: "f")?: try literal("false"); return .bool(false)
            case UInt8(ascii: "n")?: try literal("null"); return .null
            case UInt8(ascii: "{")? where depth == 0:
                depth += 1
                defer { depth -= 1 }
                return .object(try members().map { Member(key: $0.key, value: $0.value) })
            case UInt8(ascii: "{")?, UInt8(ascii: "[")?: throw SyntaxError(reason: "arrays and deeper nesting are not accepted (byte \(position))")
            case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): return .number(try number())
            default: throw SyntaxError(reason: "expected a value at byte \(position)")
            }
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let length = word.utf8CodeUnitCount
            guard index + length <= bytes.endIndex else { throw SyntaxError(reason: "unexpected end of line") }
            for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] {
                throw SyntaxError(reason: "invalid literal at byte \(position)")
            }
            index += length
        }

        /// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func number() throws(SyntaxError) -> String {
            let start = index
            func isDigit(_ byte: UInt8?) -> Bool { byte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
            if peek() == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek()) else { throw SyntaxError(reason: "invalid number at byte \(start - bytes.startIndex + 1)") }
            if peek() == UInt8(ascii: "0") { index += 1 } else { while isDigit(peek()) { index += 1 } }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard isDigit(peek()) else { throw SyntaxError(reason: "invalid number at byte \(start - bytes.startIndex + 1)") }
                while isDigit(peek()) { index += 1 }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard isDigit(peek()) else { throw SyntaxError(reason: "invalid number at byte \(start - bytes.startIndex + 1)") }
                while isDigit(peek()) { index += 1 }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func string() throws(SyntaxError) -> String {
            try expect(UInt8(ascii: "\""))
            let start = index
            // The common case, no escapes: one copy of the bytes.
            while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { throw SyntaxError(reason: "control character in a string at byte \(position)") }
                index += 1
            }
            var scalars = bytes[start..<index]
            guard peek() == UInt8(ascii: "\\") else {
                try expect(UInt8(ascii: "\""))
                return try validUTF8(scalars)
            }
            var unescaped = Array(scalars)
            while let byte = peek() {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    scalars = unescaped[...]
                    return try validUTF8(scalars)
                case UInt8(ascii: "\\"):
                    guard let escaped = peek() else { throw SyntaxError(reason: "unterminated string") }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escaped)
                    case UInt8(ascii: "b"): unescaped.append(0x08)
                    case UInt8(ascii: "f"): unescaped.append(0x0C)
                    case UInt8(ascii: "n"): unescaped.append(0x0A)
                    case UInt8(ascii: "r"): unescaped.append(0x0D)
                    case UInt8(ascii: "t"): unescaped.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard peek() == UInt8(ascii: "\\") else { throw SyntaxError(reason: "unpaired surrogate at byte \(position - 1)") }
                            index += 1
                            try expect(UInt8(ascii: "u"))
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw SyntaxError(reason: "unpaired surrogate at byte \(position - 1)") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw SyntaxError(reason: "invalid \\u escape at byte \(position - 1)") }
                        unescaped.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        throw SyntaxError(reason: "invalid escape at byte \(position - 1)")
                    }
                default:
                    guard byte >= 0x20 else { throw SyntaxError(reason: "control character in a string at byte \(position - 1)") }
                    unescaped.append(byte)
                }
            }
            throw SyntaxError(reason: "unterminated string")
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.endIndex else { throw SyntaxError(reason: "unterminated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw SyntaxError(reason: "invalid \\u escape at byte \(position)")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        func validUTF8(_ slice: ArraySlice<UInt8>) throws(SyntaxError) -> String {
            guard let text = String(validating: slice, as: UTF8.self) else { throw SyntaxError(reason: "a string is not valid UTF-8") }
            return text
        }
    }
}

/// IPv4 and IPv6 addresses in the textual forms PostgreSQL's inet accepts (checked by the C library).
public enum IPAddressText {
    public static func isValid(_ text: String) -> Bool {
        var buffer = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw in
            inet_pton(AF_INET, text, raw.baseAddress) == 1 || inet_pton(AF_INET6, text, raw.baseAddress) == 1
        }
    }
}

/// Splits a byte stream into lines across chunk boundaries (NDJSON). A final line without a
/// newline counts; `\r\n` endings are accepted; blank lines are skipped but keep their number.
public struct LineSplitter: Sendable {
    public struct LineTooLong: Error, Sendable {
        public let line: Int
    }

    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    /// The number of the last line handed out (1-based).
    public private(set) var lineNumber = 0

    public init(maxLineBytes: Int = 64 << 10) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func feed(_ chunk: ArraySlice<UInt8>, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            if partial.isEmpty {
                try emit(chunk[start..<newline], body)
            } else {
                partial.append(contentsOf: chunk[start..<newline])
                let line = partial
                partial.removeAll(keepingCapacity: true)
                try emit(line[...], body)
            }
            start = chunk.index(after: newline)
        }
        partial.append(contentsOf: chunk[start...])
        guard partial.count <= maxLineBytes else { throw LineTooLong(line: lineNumber + 1) }
    }

    /// Hands out the last line if the stream did not end with a newline.
    public mutating func finish(_ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        guard !partial.isEmpty else { return }
        let line = partial
        partial = []
        try emit(line[...], body)
    }

    private mutating func emit(_ line: ArraySlice<UInt8>, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        lineNumber += 1
        var line = line
        if line.last == 0x0D { line = line.dropLast() }
        guard line.count <= maxLineBytes else { throw LineTooLong(line: lineNumber) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        try body(lineNumber, line)
    }
}
