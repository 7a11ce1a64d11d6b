internal import Foundation

/// Writes an `Encodable` value straight into JSON bytes while its `encode(to:)` runs.
///
/// Foundation's `JSONEncoder`, which the generated server encodes every response with, first
/// builds a tree of boxed values and dictionaries and then serialises it; on a page of 50
/// records that was a quarter of the server's CPU. This encoder writes each key and value as it is
/// encoded, in the runtime's form: compact, keys in encoding order, nil properties omitted, `/`
/// escaped, dates through ``RFC3339DateTranscoder``; `StreamingJSONEncoderTests` compares its
/// documents with the runtime encoder's. That holds for the generated schema types it is used on
/// (strings, integers, booleans, dates, arrays, objects); it has no special forms for `Data`, `URL`
/// or `Decimal`.
///
/// Streaming means a container is finished once its parent writes its next value. An `encode(to:)`
/// that goes back to a finished container (no generated type does) gets an `EncodingError` when
/// the finished container is no longer on the stack.
struct StreamingJSONEncoder {
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONStreamWriter()
        writer.bytes.reserveCapacity(4096)
        try writer.encode(value, codingPath: [])
        writer.close(downTo: 0)
        return writer.bytes
    }
}

/// The output and the stack of containers still open, innermost last.
///
/// Both are written on every value of a page: `@exclusivity(unchecked)` drops the dynamic
/// exclusivity check a class property otherwise pays per access (the writer is confined to one
/// encode call, so there is never a concurrent access to check for).
final class JSONStreamWriter {
    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) private var open: [(closer: UInt8, hasElements: Bool)] = []
    private let dates = RFC3339DateTranscoder()

    /// Encodes one value where the caller has positioned it (after a key, a comma, or at the top).
    func encode<T: Encodable>(_ value: T, codingPath: @autoclosure () -> [any CodingKey]) throws {
        if let date = value as? Date {
            try writeDate(date)
            return
        }
        if let writable = value as? any JSONStreamWritable {
            try writable.writeJSON(to: self)
            return
        }
        let depth = open.count, start = bytes.count
        try value.encode(to: JSONStreamEncoder(writer: self, depth: depth, codingPath: codingPath()))
        close(downTo: depth)
        // A value that asked for no container at all is an empty object, as in Foundation.
        if bytes.count == start { bytes.append(contentsOf: "{}".utf8) }
    }

    /// Opens a container at `depth`; a value opens at most one, and asking again returns it.
    func openContainer(_ opener: UInt8, _ closer: UInt8, at depth: Int) -> Int {
        if open.count > depth { return depth }
        bytes.append(opener)
        open.append((closer, false))
        return depth
    }

    /// Positions the next element of the container at `index`: finishes any nested container
    /// still open above it, then writes the separating comma.
    func beginElement(in index: Int, codingPath: [any CodingKey]) throws {
        guard index < open.count else {
            throw EncodingError.invalidValue(
                codingPath, .init(codingPath: codingPath, debugDescription: "The streaming JSON encoder cannot return to a finished container."))
        }
        close(downTo: index + 1)
        if open[index].hasElements { bytes.append(UInt8(ascii: ",")) } else { open[index].hasElements = true }
    }

    func writeKey(_ key: some CodingKey, in index: Int, codingPath: [any CodingKey]) throws {
        try beginElement(in: index, codingPath: codingPath)
        writeString(key.stringValue)
        bytes.append(UInt8(ascii: ":"))
    }

    func close(downTo depth: Int) {
        while open.count > depth { bytes.append(open.removeLast().closer) }
    }

    func writeInteger<I: BinaryInteger>(_ value: I) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits written least significant first, then put in order where they stand.
        let start = bytes.count
        var magnitude = value.magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    func writeDouble(_ value: Double, codingPath: @autoclosure () -> [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath(), debugDescription: "JSON has no non-finite numbers."))
        }
        // Foundation writes the shortest round-tripping form and drops a trailing ".0".
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    func writeDate(_ date: Date) throws {
        writeString(try dates.encode(date))
    }

    func writeBool(_ value: Bool) {
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    func writeNull() {
        bytes.append(contentsOf: "null".utf8)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        if value.utf8.allSatisfy({ !Self.needsEscape($0) }) {
            bytes.append(contentsOf: value.utf8)
        } else {
            writeEscaped(value)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/")
    }

    private func writeEscaped(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "/"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "/")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
    }
}

/// The `Encoder` handed to one value's `encode(to:)`; `depth` is where that value's container opens.
struct JSONStreamEncoder: Encoder {
    let writer: JSONStreamWriter
    let depth: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let index = writer.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}"), at: depth)
        return KeyedEncodingContainer(JSONStreamKeyedContainer<Key>(writer: writer, index: index, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = writer.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"), at: depth)
        return JSONStreamUnkeyedContainer(writer: writer, index: index, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONStreamSingleValueContainer(writer: writer, depth: depth, codingPath: codingPath)
    }
}

struct JSONStreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONStreamWriter
    let index: Int
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        writer.writeNull()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        writer.writeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        writer.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        try writer.writeDouble(value, codingPath: codingPath + [key])
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        try writer.writeDouble(Double(value), codingPath: codingPath + [key])
    }

    mutating func encode(_ value: Int, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try integer(value, key) }

    private func integer<I: BinaryInteger>(_ value: I, _ key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        writer.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try writer.writeKey(key, in: index, codingPath: codingPath)
        try writer.encode(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        nestedEncoder(forKey: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        nestedEncoder(forKey: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        nestedEncoder(forKey: JSONStreamKey("super"))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        nestedEncoder(forKey: key)
    }

    /// An encoder for a value under `key`. The protocol gives these no way to throw: misuse
    /// surfaces at the next write, which does.
    private func nestedEncoder(forKey key: some CodingKey) -> JSONStreamEncoder {
        try? writer.writeKey(key, in: index, codingPath: codingPath)
        return JSONStreamEncoder(writer: writer, depth: index + 1, codingPath: codingPath + [key])
    }
}

struct JSONStreamUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONStreamWriter
    let index: Int
    let codingPath: [any CodingKey]
    private(set) var count = 0

    init(writer: JSONStreamWriter, index: Int, codingPath: [any CodingKey]) {
        self.writer = writer
        self.index = index
        self.codingPath = codingPath
    }

    private mutating func next() throws {
        try writer.beginElement(in: index, codingPath: codingPath)
        count += 1
    }

    mutating func encodeNil() throws { try next(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { try next(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { try next(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try next(); try writer.writeDouble(value, codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { try next(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { try next(); writer.writeInteger(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try next()
        try writer.encode(value, codingPath: codingPath + [JSONStreamKey(index: count - 1)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        nestedEncoder().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        nestedEncoder().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        nestedEncoder()
    }

    private mutating func nestedEncoder() -> JSONStreamEncoder {
        try? next()
        return JSONStreamEncoder(writer: writer, depth: index + 1, codingPath: codingPath + [JSONStreamKey(index: count - 1)])
    }
}

struct JSONStreamSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONStreamWriter
    let depth: Int
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { writer.writeNull() }
    mutating func encode(_ value: Bool) throws { writer.writeBool(value) }
    mutating func encode(_ value: String) throws { writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try writer.writeDouble(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { try writer.writeDouble(Double(value), codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { writer.writeInteger(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.encode(value, codingPath: codingPath)
    }
}

/// Keys the encoder makes itself: array positions and `super`.
struct JSONStreamKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ string: String) { stringValue = string; intValue = nil }
    init(index: Int) { stringValue = "Index \(index)"; intValue = index }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}
