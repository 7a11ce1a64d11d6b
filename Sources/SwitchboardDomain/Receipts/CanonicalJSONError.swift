/// Why bytes were refused as a receipt document. Each case carries the byte offset where the problem
/// was found, so a person (or a log line) can point at it; the parser is strict on purpose: anything
/// that two JSON implementations could read differently must not reach a signature check.
package enum CanonicalJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole input is larger than ``CanonicalJSON/maximumInputBytes``.
    case inputTooLarge(byteCount: Int, limit: Int)
    /// Arrays and objects nest deeper than ``CanonicalJSON/maximumDepth``.
    case nestingTooDeep(offset: Int, limit: Int)
    /// The input stopped in the middle of a value (or was empty).
    case unexpectedEnd(offset: Int)
    /// A byte that cannot start or continue what the grammar expects there.
    case unexpectedByte(UInt8, offset: Int, expected: String)
    /// Bytes inside a string that are not well-formed UTF-8 (overlong, surrogate, beyond U+10FFFF, truncated).
    case invalidUTF8(offset: Int)
    /// A raw control character (below U+0020) inside a string; JSON requires it escaped.
    case unescapedControlCharacter(UInt8, offset: Int)
    /// A backslash followed by something other than a JSON escape, or a `\u` without four hex digits.
    case invalidEscape(offset: Int)
    /// A `\u` escape naming half of a UTF-16 surrogate pair without its other half.
    case loneSurrogate(offset: Int)
    /// An integer written with a leading zero (`01`, `-01`).
    case leadingZero(offset: Int)
    /// A number with a fraction or an exponent; receipts hold integers only.
    case nonIntegerNumber(offset: Int)
    /// An integer below `Int64.min` or above `Int64.max`.
    case integerOutOfRange(offset: Int)
    /// An object names the same key twice (Swift compares keys by Unicode canonical equivalence).
    case duplicateKey(String, offset: Int)
    /// Something other than whitespace follows the document.
    case trailingData(offset: Int)

    /// Where in the input the problem was found (for ``inputTooLarge(byteCount:limit:)``, the limit).
    package var offset: Int {
        switch self {
        case .inputTooLarge(_, let limit): limit
        case .nestingTooDeep(let offset, _), .unexpectedEnd(let offset), .unexpectedByte(_, let offset, _),
             .invalidUTF8(let offset), .unescapedControlCharacter(_, let offset), .invalidEscape(let offset),
             .loneSurrogate(let offset), .leadingZero(let offset), .nonIntegerNumber(let offset),
             .integerOutOfRange(let offset), .duplicateKey(_, let offset), .trailingData(let offset):
            offset
        }
    }

    package var description: String {
        switch self {
        case .inputTooLarge(let count, let limit):
            "input is \(count) bytes, more than the \(limit) allowed"
        case .nestingTooDeep(let offset, let limit):
            "arrays and objects nest deeper than \(limit) levels at byte \(offset)"
        case .unexpectedEnd(let offset):
            "input ends unexpectedly at byte \(offset)"
        case .unexpectedByte(let byte, let offset, let expected):
            "expected \(expected) at byte \(offset), found \(Self.show(byte))"
        case .invalidUTF8(let offset):
            "invalid UTF-8 in a string at byte \(offset)"
        case .unescapedControlCharacter(let byte, let offset):
            "unescaped control character \(Self.show(byte)) in a string at byte \(offset)"
        case .invalidEscape(let offset):
            "invalid escape sequence at byte \(offset)"
        case .loneSurrogate(let offset):
            "\\u escape at byte \(offset) is an unpaired UTF-16 surrogate"
        case .leadingZero(let offset):
            "number at byte \(offset) has a leading zero"
        case .nonIntegerNumber(let offset):
            "number at byte \(offset) has a fraction or exponent: receipts hold integers only"
        case .integerOutOfRange(let offset):
            "integer at byte \(offset) does not fit in 64 bits"
        case .duplicateKey(let key, let offset):
            "duplicate object key \"\(key)\" at byte \(offset)"
        case .trailingData(let offset):
            "unexpected data after the document at byte \(offset)"
        }
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'"
            : "byte 0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
