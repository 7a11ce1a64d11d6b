import NIOCore
import NIOPosix
import XCTest

@testable import SwitchboardAPI

/// The DNS client behind portal hostname verification: the wire format against hand-built bytes
/// (including hostile ones), then the resolver end to end against fake nameservers on loopback.
final class DNSTXTResolverTests: XCTestCase {

    // MARK: Query encoding

    func testQueryEncodingMatchesHandWrittenBytes() throws {
        let expected: [UInt8] = [
            0xBE, 0xEF,  // ID
            0x01, 0x00,  // flags: standard query, RD=1
            0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 1 question, no other records
            3, 0x5F, 0x73, 0x62,  // "_sb"
            7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65,  // "example"
            3, 0x63, 0x6F, 0x6D,  // "com"
            0,  // root
            0x00, 0x10,  // QTYPE TXT
            0x00, 0x01,  // QCLASS IN
        ]
        XCTAssertEqual(try DNSMessage.txtQuery(id: 0xBEEF, name: "_sb.example.com"), expected)
        XCTAssertEqual(try DNSMessage.txtQuery(id: 0xBEEF, name: "_sb.example.com."), expected, "trailing dot is optional")
    }

    func testQueryRejectsInvalidNames() {
        let longestLabel = String(repeating: "a", count: 63)
        // 4 labels of 63 plus 3 dots = 255; trim to exactly 253.
        let longestName = [longestLabel, longestLabel, longestLabel, String(repeating: "b", count: 61)].joined(separator: ".")
        XCTAssertEqual(longestName.count, 253)
        XCTAssertNoThrow(try DNSMessage.txtQuery(id: 1, name: longestName))
        XCTAssertNoThrow(try DNSMessage.txtQuery(id: 1, name: longestName + "."))
        XCTAssertNoThrow(try DNSMessage.txtQuery(id: 1, name: "_switchboard-verify.Portal-1.example.com"))

        let invalid = [
            "", ".", "..", "a..b", ".example.com", "example.com..",
            longestLabel + "a.com",  // 64-byte label
            longestName + "b",  // 254 characters
            "bad name.com", "ex%ample.com", "exämple.com", "a/b.com", "a*.com",
        ]
        for name in invalid {
            XCTAssertThrowsError(try DNSMessage.txtQuery(id: 1, name: name), "\"\(name)\"") { error in
                XCTAssertEqual(error as? DNSLookupError, .invalidName(name))
            }
        }
    }

    // MARK: Response parsing

    func testParsesTXTRecordsJoiningCharacterStringsAndSkippingCNAME() throws {
        let response = Self.sampleResponse(id: 0x1234)
        XCTAssertEqual(
            try DNSMessage.txtRecords(fromResponse: response, queryID: 0x1234),
            ["hello world", "v=switchboard1 token=abc123"]
        )
    }

    func testNXDOMAINGivesNoRecords() throws {
        var response = Self.header(id: 7, flags: 0x8183, questions: 1, answers: 0)
        response += Self.question("missing.example.com")
        XCTAssertEqual(try DNSMessage.txtRecords(fromResponse: response, queryID: 7), [])
    }

    func testNoErrorWithoutAnswersGivesNoRecords() throws {
        var response = Self.header(id: 7, flags: 0x8180, questions: 1, answers: 0)
        response += Self.question("empty.example.com")
        XCTAssertEqual(try DNSMessage.txtRecords(fromResponse: response, queryID: 7), [])
    }

    func testServerErrorCodesThrow() {
        for rcode: UInt16 in [1, 2, 4, 5] {
            var response = Self.header(id: 7, flags: 0x8180 | rcode, questions: 1, answers: 0)
            response += Self.question("example.com")
            XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: response, queryID: 7)) { error in
                XCTAssertEqual(error as? DNSLookupError, .serverFailure(rcode: UInt8(rcode)))
            }
        }
    }

    func testTruncatedFlagThrows() {
        var response = Self.sampleResponse(id: 7)
        response[2] |= 0x02  // TC
        XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: response, queryID: 7)) { error in
            XCTAssertEqual(error as? DNSLookupError, .truncated)
        }
    }

    func testRejectsWrongIDQueriesAndOtherOpcodes() {
        let response = Self.sampleResponse(id: 7)
        XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: response, queryID: 8))

        var query = response
        query[2] &= 0x7F  // QR clear
        XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: query, queryID: 7))

        var notify = response
        notify[2] |= 0x20  // opcode 4 (NOTIFY)
        XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: notify, queryID: 7))
    }

    func testCompressionPointerLoopThrowsInsteadOfHanging() {
        // An answer whose owner name is a pointer to itself (offset 12 points at offset 12).
        var selfLoop = Self.header(id: 9, flags: 0x8180, questions: 0, answers: 1)
        selfLoop += [0xC0, 0x0C] + Self.txtRecordTail(["x"])
        // Two pointers pointing at each other (offset 12 -> 14 -> 12).
        var twoStepLoop = Self.header(id: 9, flags: 0x8180, questions: 0, answers: 1)
        twoStepLoop += [0xC0, 0x0E, 0xC0, 0x0C] + Self.txtRecordTail(["x"])
        // A label, then a pointer back to the start of the same name: grows until the length cap.
        var labelLoop = Self.header(id: 9, flags: 0x8180, questions: 1, answers: 0)
        labelLoop += [1, 0x61, 0xC0, 0x0C, 0x00, 0x10, 0x00, 0x01]
        // A pointer past the end of the message.
        var outOfBounds = Self.header(id: 9, flags: 0x8180, questions: 0, answers: 1)
        outOfBounds += [0xC0, 0xFF] + Self.txtRecordTail(["x"])

        for message in [selfLoop, twoStepLoop, labelLoop, outOfBounds] {
            XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: message, queryID: 9)) { error in
                guard case .malformedResponse = error as? DNSLookupError else {
                    return XCTFail("expected malformedResponse, got \(error)")
                }
            }
        }
    }

    func testEveryTruncatedPrefixFailsCleanly() throws {
        let response = Self.sampleResponse(id: 0x4242)
        XCTAssertNoThrow(try DNSMessage.txtRecords(fromResponse: response, queryID: 0x4242))
        for length in 0..<response.count {
            let prefix = Array(response.prefix(length))
            XCTAssertThrowsError(try DNSMessage.txtRecords(fromResponse: prefix, queryID: 0x4242), "prefix of \(length) bytes")
        }
    }

    func testCorruptedResponsesNeverTrap() {
        // Deterministic corruption of a valid response: whatever comes back, parsing must return or throw.
        let response = Self.sampleResponse(id: 0x4242)
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<20_000 {
            var corrupted = response
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupted[Int.random(in: 0..<corrupted.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            corrupted = Array(corrupted.prefix(Int.random(in: 0...corrupted.count, using: &generator)))
            _ = try? DNSMessage.txtRecords(fromResponse: corrupted, queryID: 0x4242)
        }
    }

    func testInvalidUTF8IsDecodedLossily() throws {
        var response = Self.header(id: 3, flags: 0x8180, questions: 0, answers: 1)
        response += [0] + [0x00, 0x10, 0x00, 0x01, 0, 0, 0, 60, 0, 3, 2, 0x61, 0xFF]
        XCTAssertEqual(try DNSMessage.txtRecords(fromResponse: response, queryID: 3), ["a\u{FFFD}"])
    }

    // MARK: Configuration

    func testResolvConfNameserverLines() {
        let resolvConf = """
            # Generated by something
            search example.internal
            nameserver 10.0.0.2
            ;nameserver 10.0.0.9
            nameserver\t2001:db8::53  # trailing comment
            options ndots:2

            nameserver fe80::1%eth0
            """
        XCTAssertEqual(
            DNSTXTResolver.nameserverEntries(inResolvConf: resolvConf),
            ["10.0.0.2", "2001:db8::53", "fe80::1%eth0"]
        )
    }

    func testNameserverEntriesAcceptIPLiteralsWithOptionalPort() throws {
        XCTAssertEqual(try DNSTXTResolver.nameserverAddress("192.0.2.1"), try SocketAddress(ipAddress: "192.0.2.1", port: 53))
        XCTAssertEqual(try DNSTXTResolver.nameserverAddress("127.0.0.1:5353"), try SocketAddress(ipAddress: "127.0.0.1", port: 5353))
        XCTAssertEqual(try DNSTXTResolver.nameserverAddress("::1"), try SocketAddress(ipAddress: "::1", port: 53))
        XCTAssertEqual(try DNSTXTResolver.nameserverAddress("[::1]"), try SocketAddress(ipAddress: "::1", port: 53))
        XCTAssertEqual(try DNSTXTResolver.nameserverAddress("[::1]:5353"), try SocketAddress(ipAddress: "::1", port: 5353))
        for entry in ["", "dns.example.com", "dns.example.com:53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
            "127.0.0.1:+53", "[::1", "[::1]5353", "[::1]:x", "[::1]:53:53", "1.2.3.4.5"]
        {
            XCTAssertThrowsError(try DNSTXTResolver.nameserverAddress(entry), "\"\(entry)\"") { error in
                XCTAssertEqual(error as? DNSLookupError, .invalidNameserver(entry))
            }
        }
    }

    func testLookupFailsClearlyWithoutUsableNameservers() async throws {
        await assertThrows(.noNameserver) {
            try await DNSTXTResolver(nameservers: []).txtRecords(named: "example.com")
        }
        await assertThrows(.invalidNameserver("dns.example.com")) {
            try await DNSTXTResolver(nameservers: ["dns.example.com"]).txtRecords(named: "example.com")
        }
        await assertThrows(.invalidName("bad name")) {
            try await DNSTXTResolver(nameservers: ["127.0.0.1"]).txtRecords(named: "bad name")
        }
    }

    // MARK: End to end, against fake nameservers on loopback

    func testResolvesRecordsFromNameserver() async throws {
        let records: [String: [[String]]] = [
            "_switchboard.portal.example.com": [["v=switchboard1 ", "token=abc123"], ["unrelated"]],
            "empty.example.com": [],
        ]
        let server = try await FakeNameserver.start(answering: records)
        do {
            let resolver = DNSTXTResolver(nameservers: [server.entry], timeout: .seconds(2))
            let found = try await resolver.txtRecords(named: "_switchboard.portal.example.com.")
            XCTAssertEqual(found, ["v=switchboard1 token=abc123", "unrelated"])
            let empty = try await resolver.txtRecords(named: "empty.example.com")
            XCTAssertEqual(empty, [])
            let missing = try await resolver.txtRecords(named: "missing.example.com")
            XCTAssertEqual(missing, [], "NXDOMAIN")
        } catch {
            try await server.close()
            throw error
        }
        try await server.close()
    }

    func testResolvesOverIPv6Loopback() async throws {
        let server: FakeNameserver
        do {
            server = try await FakeNameserver.start(answering: ["v6.example.com": [["over v6"]]], host: "::1")
        } catch {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        do {
            let resolver = DNSTXTResolver(nameservers: [server.entry], timeout: .seconds(2))
            XCTAssertTrue(server.entry.hasPrefix("[::1]:"))
            let found = try await resolver.txtRecords(named: "v6.example.com")
            XCTAssertEqual(found, ["over v6"])
        } catch {
            try await server.close()
            throw error
        }
        try await server.close()
    }

    func testFallsBackToNextNameserverWhenFirstIsSilent() async throws {
        let silent = try await FakeNameserver.start(answering: nil)
        let answering = try await FakeNameserver.start(answering: ["example.com": [["second answered"]]])
        do {
            let resolver = DNSTXTResolver(nameservers: [silent.entry, answering.entry], timeout: .milliseconds(300))
            let found = try await resolver.txtRecords(named: "example.com")
            XCTAssertEqual(found, ["second answered"])
        } catch {
            try await silent.close()
            try await answering.close()
            throw error
        }
        try await silent.close()
        try await answering.close()
    }

    func testSilentNameserverTimesOut() async throws {
        let silent = try await FakeNameserver.start(answering: nil)
        let clock = ContinuousClock()
        let start = clock.now
        await assertThrows(.timedOut(server: silent.entry)) {
            try await DNSTXTResolver(nameservers: [silent.entry], timeout: .milliseconds(300)).txtRecords(named: "example.com")
        }
        let elapsed = clock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(250))
        XCTAssertLessThan(elapsed, .seconds(1))
        try await silent.close()
    }

    func testClosedPortFailsWithoutWaitingForTimeout() async throws {
        // Bind, note the port, close: nothing listens there, so loopback answers ICMP port unreachable.
        let closed = try await FakeNameserver.start(answering: nil)
        try await closed.close()
        let clock = ContinuousClock()
        let start = clock.now
        await assertThrows(.unreachable(server: closed.entry)) {
            try await DNSTXTResolver(nameservers: [closed.entry], timeout: .seconds(5)).txtRecords(named: "example.com")
        }
        XCTAssertLessThan(clock.now - start, .seconds(2))
    }

    func testCancellationStopsWaitingAndSkipsRemainingNameservers() async throws {
        let silent = try await FakeNameserver.start(answering: nil)
        let answering = try await FakeNameserver.start(answering: ["example.com": [["should not be asked"]]])
        let resolver = DNSTXTResolver(nameservers: [silent.entry, answering.entry], timeout: .seconds(10))
        let lookup = Task { try await resolver.txtRecords(named: "example.com") }
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock()
        let start = clock.now
        lookup.cancel()
        let result = await lookup.result
        XCTAssertLessThan(clock.now - start, .seconds(2))
        XCTAssertThrowsError(try result.get()) { error in
            XCTAssertTrue(error is CancellationError, "\(error)")
        }
        try await silent.close()
        try await answering.close()
    }

    // MARK: Helpers

    private func assertThrows(
        _ expected: DNSLookupError,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> [String]
    ) async {
        do {
            let records = try await body()
            XCTFail("expected \(expected), got records \(records)", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? DNSLookupError, expected, "\(error)", file: file, line: line)
        }
    }

    private static func header(id: UInt16, flags: UInt16, questions: UInt16, answers: UInt16) -> [UInt8] {
        [id, flags, questions, answers, 0, 0].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    private static func question(_ name: String) -> [UInt8] {
        Self.encodedName(name) + [0x00, 0x10, 0x00, 0x01]
    }

    private static func encodedName(_ name: String) -> [UInt8] {
        name.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    /// TYPE TXT, CLASS IN, TTL 60, then RDATA of the given character-strings (after the owner name).
    private static func txtRecordTail(_ strings: [String]) -> [UInt8] {
        let data = strings.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        return [0x00, 0x10, 0x00, 0x01, 0, 0, 0, 60, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
    }

    /// _sb.example.com: a CNAME to _sb.target.example.com, then two TXT records there (the first split
    /// across two character-strings). Names are compressed as a server would: the CNAME target ends in
    /// a pointer to "example.com" in the question, and the TXT owners point at the CNAME target.
    private static func sampleResponse(id: UInt16) -> [UInt8] {
        var message = header(id: id, flags: 0x8180, questions: 1, answers: 3)
        message += question("_sb.example.com")  // at offset 12: "_sb" at 12, "example" at 16, "com" at 24
        let cnameTarget = Array(encodedName("_sb.target").dropLast()) + [0xC0, 16]
        let cnameTargetOffset = UInt8(message.count + 12)  // after owner (2), type/class/TTL (8), length (2)
        message += [0xC0, 12, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 60, 0, UInt8(cnameTarget.count)] + cnameTarget
        message += [0xC0, cnameTargetOffset] + txtRecordTail(["hello", " world"])
        message += [0xC0, cnameTargetOffset] + txtRecordTail(["v=switchboard1 token=abc123"])
        return message
    }
}

/// A UDP nameserver on loopback that answers TXT queries from a table (NXDOMAIN for names not in it),
/// or, with no table, reads and ignores every query.
private struct FakeNameserver {
    let channel: any Channel
    let entry: String

    static func start(answering records: [String: [[String]]]?, host: String = "127.0.0.1") async throws -> FakeNameserver {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: host, port: 0)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let records {
                        try channel.pipeline.syncOperations.addHandler(FakeNameserverHandler(records: records))
                    }
                    return channel
                }
            }
        let port = channel.localAddress?.port ?? 0
        return FakeNameserver(channel: channel, entry: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    func close() async throws {
        try await channel.close()
    }
}

private final class FakeNameserverHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let records: [String: [[String]]]

    init(records: [String: [[String]]]) {
        self.records = records
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let query = Self.unwrapInboundIn(data)
        guard let reply = reply(to: Array(query.data.readableBytesView)) else { return }
        let envelope = AddressedEnvelope(remoteAddress: query.remoteAddress, data: ByteBuffer(bytes: reply))
        context.writeAndFlush(Self.wrapOutboundOut(envelope), promise: nil)
    }

    /// Copies the header ID and the question, then appends one TXT answer per table entry, each
    /// owner name a compression pointer to the question (offset 12).
    private func reply(to query: [UInt8]) -> [UInt8]? {
        guard query.count > 12 else { return nil }
        var labels: [String] = []
        var position = 12
        while position < query.count, query[position] != 0 {
            let length = Int(query[position])
            guard position + 1 + length <= query.count else { return nil }
            labels.append(String(decoding: query[(position + 1)..<(position + 1 + length)], as: UTF8.self))
            position += 1 + length
        }
        let questionEnd = position + 5  // root label, QTYPE, QCLASS
        guard questionEnd <= query.count else { return nil }
        let answers = records[labels.joined(separator: ".").lowercased()]

        var reply = Array(query[0..<2])
        reply += [0x81, answers == nil ? 0x83 : 0x80]  // QR, RD, RA; NXDOMAIN when not in the table
        reply += [0x00, 0x01, 0x00, UInt8(answers?.count ?? 0), 0x00, 0x00, 0x00, 0x00]
        reply += query[12..<questionEnd]
        for record in answers ?? [] {
            let data = record.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            reply += [0xC0, 0x0C, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 60, UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
            reply += data
        }
        return reply
    }
}

/// A seeded generator, so the corruption test sees the same inputs every run.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
