/// A JSON value restricted to what receipts hold (no floating-point numbers), with one byte-exact
/// serialisation: RFC 8785 (JCS). A signature over ``canonicalBytes`` can be checked by anyone who
/// re-canonicalises the document, however it was re-indented or re-ordered on the way.
///
/// `Equatable` and object keys follow Swift's `String` equality, which is Unicode canonical
/// equivalence; ``canonicalBytes`` keeps the exact scalars parsed, so signatures stay byte-exact.
package indirect enum CanonicalJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// Receipts are small; a bound keeps a hostile upload from costing more than a moment.
    package static let maximumInputBytes = 1 << 20
    /// Nesting bound, so a hostile document cannot exhaust the stack of the recursive parser.
    package static let maximumDepth = 32

    /// Parses one JSON document (RFC 8259) strictly: see ``CanonicalJSONError`` for every refusal.
    package init(parsing bytes: some Collection<UInt8>) throws(CanonicalJSONError) {
        let count = bytes.count
        guard count <= Self.maximumInputBytes else {
            throw .inputTooLarge(byteCount: count, limit: Self.maximumInputBytes)
        }
        var parser = CanonicalJSONParser(Array(bytes))
        self = try parser.parseDocument()
    }

    /// The RFC 8785 form: no whitespace, members sorted by the UTF-16 code units of their keys,
    /// strings escaped as ECMAScript's `JSON.stringify` does, integers in plain decimal.
    package var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let value): out += (value ? "true" : "false").utf8
        case .integer(let value): out += String(value).utf8
        case .string(let value): Self.write(value, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            for (position, member) in sorted.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Multi-byte UTF-8 sequences never contain bytes below 0x80, so escaping byte by byte is exact.
    private static func write(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case 0x22: out += #"\""#.utf8
            case 0x5C: out += #"\\"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0x00..<0x20: out += #"\u00"#.utf8 + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Access

extension CanonicalJSON {
    /// The member named `key` of an object; `nil` for a missing member or a value that is no object.
    package subscript(key: String) -> CanonicalJSON? {
        objectValue?[key]
    }

    package var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    package var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    package var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    package var arrayValue: [CanonicalJSON]? {
        if case .array(let value) = self { value } else { nil }
    }

    package var objectValue: [String: CanonicalJSON]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// This object without the member `key` (what a signature covers); any other value unchanged.
    package func removingMember(_ key: String) -> CanonicalJSON {
        guard case .object(var members) = self else { return self }
        members[key] = nil
        return .object(members)
    }
}

// MARK: - Literals, so receipts and tests read like the JSON they stand for

extension CanonicalJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(nilLiteral: ()) { self = .null }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(stringLiteral value: String) { self = .string(value) }
    package init(arrayLiteral elements: CanonicalJSON...) { self = .array(elements) }
    /// Traps on a repeated key, as a Swift dictionary literal does.
    package init(dictionaryLiteral elements: (String, CanonicalJSON)...) {
        self = .object(Dictionary(uniqueKeysWithValues: elements))
    }
}

extension CanonicalJSON: CustomStringConvertible {
    /// The canonical text, for logs and test failures.
    package var description: String { String(decoding: canonicalBytes, as: UTF8.self) }
}
