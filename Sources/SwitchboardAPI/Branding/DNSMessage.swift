/// The DNS wire format (RFC 1035), only as far as a TXT lookup needs: encode one query, read its response.
///
/// Pure (no I/O). Responses come off the network, so no input may trap or hang: every read is
/// bounds-checked and following name-compression pointers is bounded.
package enum DNSMessage {
    package static let headerLength = 12
    package static let typeTXT: UInt16 = 16
    package static let classIN: UInt16 = 1

    /// A name in text form, without the trailing dot (RFC 1035 §2.3.4 allows 255 octets on the wire).
    package static let maximumNameLength = 253
    package static let maximumLabelLength = 63
    /// A real name needs a handful of compression pointers; more means a loop (or a hostile message).
    package static let maximumCompressionPointers = 32

    private static let flagResponse: UInt16 = 0x8000
    private static let flagTruncated: UInt16 = 0x0200
    private static let flagRecursionDesired: UInt16 = 0x0100
    private static let rcodeNameError: UInt8 = 3

    // MARK: Query

    /// A standard query (opcode 0, RD=1) with one question: `name`, type TXT, class IN.
    package static func txtQuery(id: UInt16, name: String) throws(DNSLookupError) -> [UInt8] {
        let encodedName = try encodeName(name)
        var message: [UInt8] = []
        message.reserveCapacity(headerLength + encodedName.count + 4)
        for field: UInt16 in [id, flagRecursionDesired, 1, 0, 0, 0] {
            appendUInt16(field, to: &message)
        }
        message += encodedName
        appendUInt16(typeTXT, to: &message)
        appendUInt16(classIN, to: &message)
        return message
    }

    /// `name` as length-prefixed labels ending with the root label. A trailing dot is optional.
    /// Only letters, digits, '-' and '_' are accepted (enough for hostnames and `_verification` labels).
    package static func encodeName(_ name: String) throws(DNSLookupError) -> [UInt8] {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: ".") {
            bytes.removeLast()
        }
        guard !bytes.isEmpty, bytes.count <= maximumNameLength else {
            throw .invalidName(name)
        }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(bytes.count + 2)
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...maximumLabelLength).contains(label.count), label.allSatisfy(isNameCharacter) else {
                throw .invalidName(name)
            }
            encoded.append(UInt8(label.count))
            encoded += label
        }
        encoded.append(0)
        return encoded
    }

    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    // MARK: Response

    /// The message ID, so a caller can drop datagrams that answer some other query before parsing them.
    package static func messageID(of message: [UInt8]) -> UInt16? {
        guard message.count >= 2 else { return nil }
        return UInt16(message[0]) << 8 | UInt16(message[1])
    }

    /// The TXT records in the answer section of the response to query `queryID`, each record's
    /// character-strings joined into one string (decoded as UTF-8, invalid bytes replaced).
    ///
    /// NXDOMAIN gives `[]`. Answers of other types (a CNAME leading to the records, say) are skipped.
    package static func txtRecords(fromResponse message: [UInt8], queryID: UInt16) throws(DNSLookupError) -> [String] {
        var reader = Reader(message: message)
        let id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        let questionCount = try reader.readUInt16()
        let answerCount = try reader.readUInt16()
        try reader.skip(4)  // authority and additional counts: those sections are not read

        guard id == queryID else {
            throw .malformedResponse(reason: "message ID \(id) does not match query \(queryID)")
        }
        guard flags & flagResponse != 0 else {
            throw .malformedResponse(reason: "QR bit clear: a query, not a response")
        }
        let opcode = (flags >> 11) & 0x0F
        guard opcode == 0 else {
            throw .malformedResponse(reason: "opcode \(opcode), expected 0 (standard query)")
        }
        let rcode = UInt8(flags & 0x000F)
        if rcode == rcodeNameError {
            return []
        }
        guard rcode == 0 else {
            throw .serverFailure(rcode: rcode)
        }
        // Only UDP is spoken here: a truncated answer cannot be completed over TCP. TXT verification
        // records are short, so this only happens for names that hold many large records.
        guard flags & flagTruncated == 0 else {
            throw .truncated
        }

        for _ in 0..<questionCount {
            try reader.skipName()
            try reader.skip(4)  // QTYPE, QCLASS
        }
        var records: [String] = []
        for _ in 0..<answerCount {
            try reader.skipName()
            let type = try reader.readUInt16()
            let recordClass = try reader.readUInt16()
            try reader.skip(4)  // TTL
            let dataLength = Int(try reader.readUInt16())
            let data = try reader.readBytes(dataLength)
            if type == typeTXT && recordClass == classIN {
                records.append(try joinedCharacterStrings(data))
            }
        }
        return records
    }

    /// TXT RDATA is one or more <length><bytes> character-strings that together make the record.
    private static func joinedCharacterStrings(_ data: ArraySlice<UInt8>) throws(DNSLookupError) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(data.count)
        var position = data.startIndex
        while position < data.endIndex {
            let length = Int(data[position])
            let start = position + 1
            guard length <= data.endIndex - start else {
                throw .malformedResponse(reason: "TXT character-string runs past its record")
            }
            text += data[start..<(start + length)]
            position = start + length
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func appendUInt16(_ value: UInt16, to message: inout [UInt8]) {
        message.append(UInt8(value >> 8))
        message.append(UInt8(value & 0xFF))
    }

    /// A cursor over a received message that throws, rather than traps, at the end of the bytes.
    private struct Reader {
        let message: [UInt8]
        var offset = 0

        init(message: [UInt8]) {
            self.message = message
        }

        mutating func readUInt16() throws(DNSLookupError) -> UInt16 {
            let bytes = try readBytes(2)
            return UInt16(bytes[bytes.startIndex]) << 8 | UInt16(bytes[bytes.startIndex + 1])
        }

        mutating func skip(_ count: Int) throws(DNSLookupError) {
            _ = try readBytes(count)
        }

        mutating func readBytes(_ count: Int) throws(DNSLookupError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= message.count - offset else {
                throw .malformedResponse(reason: "message ends at byte \(message.count), needed \(count) more from \(offset)")
            }
            defer { offset += count }
            return message[offset..<(offset + count)]
        }

        /// Steps over a (possibly compressed) name. The owner names are not used, but compression
        /// pointers are still followed so a malformed name fails the message instead of being read
        /// past: at most ``maximumCompressionPointers`` jumps and 255 octets, so loops cannot hang.
        mutating func skipName() throws(DNSLookupError) {
            var position = offset
            var endOfNameHere: Int?  // where the name ends in place: after its first pointer or root label
            var pointersFollowed = 0
            var wireLength = 1  // the root label
            while true {
                guard position < message.count else {
                    throw .malformedResponse(reason: "name runs past the end of the message")
                }
                let length = message[position]
                switch length & 0xC0 {
                case 0x00 where length == 0:
                    offset = endOfNameHere ?? position + 1
                    return
                case 0x00:
                    wireLength += Int(length) + 1
                    guard wireLength <= 255 else {
                        throw .malformedResponse(reason: "name longer than 255 octets")
                    }
                    position += Int(length) + 1
                case 0xC0:
                    guard position + 1 < message.count else {
                        throw .malformedResponse(reason: "compression pointer runs past the end of the message")
                    }
                    pointersFollowed += 1
                    guard pointersFollowed <= maximumCompressionPointers else {
                        throw .malformedResponse(reason: "too many compression pointers (a loop)")
                    }
                    if endOfNameHere == nil {
                        endOfNameHere = position + 2
                    }
                    position = Int(length & 0x3F) << 8 | Int(message[position + 1])
                default:
                    // 0x40 and 0x80 are extended label types (RFC 6891 retired them): not in answers.
                    throw .malformedResponse(reason: "unsupported label type \(length >> 6)")
                }
            }
        }
    }
}
