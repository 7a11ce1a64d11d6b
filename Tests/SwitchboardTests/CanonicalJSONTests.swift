import SwitchboardDomain
import XCTest

final class CanonicalJSONTests: XCTestCase {
    // MARK: RFC 8785 examples (the parts within our subset)

    /// RFC 8785 §3.2.3: members sort by UTF-16 code units, so U+1F600 (D83D DE00) precedes U+FB33,
    /// unlike code-point order. Expected bytes are the RFC's, also produced by Node's JSON.stringify.
    func testRFC8785SortsKeysByUTF16CodeUnits() throws {
        let input = #"""
            {
               "\u20ac": "Euro Sign",
               "\r": "Carriage Return",
               "\ufb33": "Hebrew Letter Dalet With Dagesh",
               "1": "One",
               "\ud83d\ude00": "Emoji: Grinning Face",
               "\u0080": "Control",
               "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expectedHex = """
            7b225c72223a2243617272696167652052657475726e222c2231223a224f6e65222c22c280223a22436f6e74726f6c222c\
            22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820446961657265736973222c22e282ac223a\
            224575726f205369676e222c22f09f9880223a22456d6f6a693a204772696e6e696e672046616365222c22efacb3223a22\
            486562726577204c65747465722044616c6574205769746820446167657368227d
            """
        XCTAssertEqual(hex(try parse(input).canonicalBytes), expectedHex)
    }

    /// RFC 8785 §3.2.2 without its "numbers" member (floating point is outside our subset).
    func testRFC8785StringAndLiteralSerialisation() throws {
        let input = #"""
            {
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        XCTAssertEqual(
            text(try parse(input).canonicalBytes),
            #"{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        )
    }

    /// The same RFC example with its numbers is refused: receipts hold integers only.
    func testRFC8785NumbersExampleIsRefused() {
        let input = #"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}"#
        XCTAssertEqual(rejection(input), .nonIntegerNumber(offset: 13))
    }

    /// Every ASCII character, escaped as Node's `JSON.stringify` escapes it (its output pasted here).
    func testEscapingMatchesJSONStringifyForEveryASCIICharacter() {
        let all = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        let node = ##""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"##
            + "\u{7F}\""
        XCTAssertEqual(text(CanonicalJSON.string(all).canonicalBytes), node)
    }

    func testNonASCIIIsWrittenLiterallyAsUTF8() {
        let value: CanonicalJSON = ["k": "Zoë € 😀 \u{2028}"]
        XCTAssertEqual(value.canonicalBytes, Array(#"{"k":"Zoë € 😀 \#u{2028}"}"#.utf8))
    }

    func testIntegersAndNestingSerialisePlainly() throws {
        let value: CanonicalJSON = [
            "b": [1, -0, .integer(.max), .integer(.min), [:], []],
            "a": ["y": nil, "x": false],
        ]
        XCTAssertEqual(
            text(value.canonicalBytes),
            #"{"a":{"x":false,"y":null},"b":[1,0,9223372036854775807,-9223372036854775808,{},[]]}"#
        )
    }

    // MARK: Round trips

    func testCanonicalFormRoundTripsAndIsAFixedPoint() throws {
        let inputs = [
            #" { "z" : [ 1 , { "b":"\u00e9", "a" : -12 } ], "\t":"\"\\\/", "e":{}, "n":null } "#,
            #""\ud83d\ude00 \u001f \u007f""#,
            "-0", "0", "true", "[]", "9223372036854775807", "-9223372036854775808",
        ]
        for input in inputs {
            let value = try parse(input)
            let canonical = value.canonicalBytes
            let reparsed = try CanonicalJSON(parsing: canonical)
            XCTAssertEqual(reparsed, value, input)
            XCTAssertEqual(reparsed.canonicalBytes, canonical, input)
        }
    }

    func testAccessorsAndRemovingMember() throws {
        let value = try parse(#"{"kind":"handover","n":7,"signature":{"a":1}}"#)
        XCTAssertEqual(value["kind"]?.stringValue, "handover")
        XCTAssertEqual(value["n"]?.integerValue, 7)
        XCTAssertNil(value["missing"])
        XCTAssertNil(value["n"]?.stringValue)
        XCTAssertEqual(text(value.removingMember("signature").canonicalBytes), #"{"kind":"handover","n":7}"#)
        XCTAssertEqual(CanonicalJSON.array([1]).removingMember("x"), [1])
    }

    func testLimitsAreInclusive() throws {
        let deepest = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        XCTAssertNoThrow(try parse(deepest))
        let largest = "\"" + String(repeating: "a", count: CanonicalJSON.maximumInputBytes - 2) + "\""
        XCTAssertEqual(try parse(largest).stringValue?.utf8.count, CanonicalJSON.maximumInputBytes - 2)
    }

    // MARK: Rejections

    func testRejectsDuplicateKeys() {
        XCTAssertEqual(rejection(#"{"a":1,"b":2,"a":3}"#), .duplicateKey("a", offset: 13))
        // The same key spelt once escaped: still a duplicate.
        XCTAssertEqual(rejection(#"{"a":{"é":1,"\u00e9":2}}"#), .duplicateKey("é", offset: 13))
    }

    func testRejectsNonIntegerNumbers() {
        XCTAssertEqual(rejection("[1.0]"), .nonIntegerNumber(offset: 1))
        XCTAssertEqual(rejection("1e3"), .nonIntegerNumber(offset: 0))
        XCTAssertEqual(rejection("-2E-1"), .nonIntegerNumber(offset: 0))
        XCTAssertTrue(CanonicalJSONError.nonIntegerNumber(offset: 4).description.contains("integers only"))
        // Malformed numbers are malformed, not "non-integer".
        XCTAssertEqual(rejection("1."), .unexpectedEnd(offset: 2))
        XCTAssertEqual(rejection("[1.x]"), .unexpectedByte(UInt8(ascii: "x"), offset: 3, expected: "a digit"))
        XCTAssertEqual(rejection("-"), .unexpectedEnd(offset: 1))
        XCTAssertEqual(rejection("+1"), .unexpectedByte(UInt8(ascii: "+"), offset: 0, expected: "a value"))
        XCTAssertEqual(rejection(".5"), .unexpectedByte(UInt8(ascii: "."), offset: 0, expected: "a value"))
        XCTAssertEqual(rejection("NaN"), .unexpectedByte(UInt8(ascii: "N"), offset: 0, expected: "a value"))
    }

    func testRejectsIntegersOutsideInt64() {
        XCTAssertEqual(rejection("9223372036854775808"), .integerOutOfRange(offset: 0))
        XCTAssertEqual(rejection("[-9223372036854775809]"), .integerOutOfRange(offset: 1))
        XCTAssertEqual(rejection("123456789012345678901234567890"), .integerOutOfRange(offset: 0))
    }

    func testRejectsLeadingZeros() {
        XCTAssertEqual(rejection("01"), .leadingZero(offset: 0))
        XCTAssertEqual(rejection(#"{"a":-00}"#), .leadingZero(offset: 5))
    }

    func testRejectsInvalidUTF8() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0xC0, 0x80, 0x22], 1),  // overlong NUL
            ([0x22, 0x61, 0x80, 0x22], 2),  // lone continuation byte
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // encoded surrogate U+D800
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // beyond U+10FFFF
            ([0x22, 0xE2, 0x82, 0x22], 1),  // truncated sequence
            ([0x22, 0xE2, 0x82], 1),  // truncated at the end of input
            ([0x22, 0xFF, 0x22], 1),
        ]
        for (bytes, offset) in cases {
            XCTAssertEqual(rejection(bytes), .invalidUTF8(offset: offset), "\(bytes)")
        }
        XCTAssertEqual(rejection([0xEF, 0xBB, 0xBF, 0x31]), .unexpectedByte(0xEF, offset: 0, expected: "a value"))  // BOM
    }

    func testRejectsLoneSurrogateEscapes() {
        XCTAssertEqual(rejection(#""\ud83d""#), .loneSurrogate(offset: 1))
        XCTAssertEqual(rejection(#""x\ude00""#), .loneSurrogate(offset: 2))
        XCTAssertEqual(rejection(#""\ud83d\u0041""#), .loneSurrogate(offset: 1))
        XCTAssertEqual(rejection(#""\ud83d\ud83d""#), .loneSurrogate(offset: 1))
        XCTAssertEqual(rejection(#""\ud83dx""#), .loneSurrogate(offset: 1))
    }

    func testRejectsBadEscapesAndRawControls() {
        XCTAssertEqual(rejection(#""\x""#), .invalidEscape(offset: 1))
        XCTAssertEqual(rejection(#""\u12g4""#), .invalidEscape(offset: 1))
        XCTAssertEqual(rejection(#""\'""#), .invalidEscape(offset: 1))
        XCTAssertEqual(rejection("\"a\tb\""), .unescapedControlCharacter(0x09, offset: 2))
        XCTAssertEqual(rejection("\"a\nb\""), .unescapedControlCharacter(0x0A, offset: 2))
    }

    func testRejectsTrailingGarbage() {
        XCTAssertEqual(rejection(#"{"a":1} x"#), .trailingData(offset: 8))
        XCTAssertEqual(rejection("1 2"), .trailingData(offset: 2))
        XCTAssertEqual(rejection("{}{}"), .trailingData(offset: 2))
    }

    func testRejectsStructuralErrors() {
        XCTAssertEqual(rejection(""), .unexpectedEnd(offset: 0))
        XCTAssertEqual(rejection("   "), .unexpectedEnd(offset: 3))
        XCTAssertEqual(rejection(#"{"a":1"#), .unexpectedEnd(offset: 6))
        XCTAssertEqual(rejection(#""abc"#), .unexpectedEnd(offset: 4))
        XCTAssertEqual(rejection("[1,]"), .unexpectedByte(UInt8(ascii: "]"), offset: 3, expected: "a value"))
        XCTAssertEqual(rejection(#"{"a":1,}"#), .unexpectedByte(UInt8(ascii: "}"), offset: 7, expected: "a string key"))
        XCTAssertEqual(rejection("{'a':1}"), .unexpectedByte(UInt8(ascii: "'"), offset: 1, expected: "a string key"))
        XCTAssertEqual(rejection(#"{"a" 1}"#), .unexpectedByte(UInt8(ascii: "1"), offset: 5, expected: "':'"))
        XCTAssertEqual(rejection("[1 2]"), .unexpectedByte(UInt8(ascii: "2"), offset: 3, expected: "',' or ']'"))
        XCTAssertEqual(rejection("tru"), .unexpectedEnd(offset: 3))
        XCTAssertEqual(rejection("nul1"), .unexpectedByte(UInt8(ascii: "1"), offset: 3, expected: "'null'"))
        XCTAssertEqual(rejection("\u{0B}1"), .unexpectedByte(0x0B, offset: 0, expected: "a value"))  // not JSON whitespace
    }

    func testRejectsNestingDeeperThan32() {
        let array = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        XCTAssertEqual(rejection(array), .nestingTooDeep(offset: 32, limit: 32))
        let object = String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)
        XCTAssertEqual(rejection(object), .nestingTooDeep(offset: 32 * 5, limit: 32))
    }

    func testRejectsInputOverOneMiB() {
        let bytes = [UInt8](repeating: 0x20, count: CanonicalJSON.maximumInputBytes) + [0x31]
        XCTAssertEqual(rejection(bytes), .inputTooLarge(byteCount: (1 << 20) + 1, limit: 1 << 20))
    }

    func testErrorDescriptionsNameTheOffset() {
        XCTAssertEqual(
            CanonicalJSONError.unexpectedByte(0x0B, offset: 7, expected: "a value").description,
            "expected a value at byte 7, found byte 0x0B"
        )
        XCTAssertEqual(CanonicalJSONError.duplicateKey("a", offset: 3).description, #"duplicate object key "a" at byte 3"#)
    }

    // MARK: Helpers

    private func parse(_ text: String) throws -> CanonicalJSON {
        try CanonicalJSON(parsing: Array(text.utf8))
    }

    private func rejection(_ text: String) -> CanonicalJSONError? {
        rejection(Array(text.utf8))
    }

    private func rejection(_ bytes: [UInt8]) -> CanonicalJSONError? {
        do {
            let value = try CanonicalJSON(parsing: bytes)
            XCTFail("accepted as \(value)")
            return nil
        } catch {
            return error
        }
    }

    private func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
    }
}
