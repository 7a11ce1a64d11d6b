import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SwitchboardJobs
import XCTest

/// Resolver stand-in: answers a fixed list, so tests decide what a name "resolves" to.
private struct StubResolver: WebhookResolver {
    var answer: [SocketAddress]
    func addresses(host: String, port: Int) async throws -> [SocketAddress] { answer }
}

private struct FailingResolver: WebhookResolver {
    func addresses(host: String, port: Int) async throws -> [SocketAddress] {
        throw WebhookResolutionError(message: "Name or service not known")
    }
}

/// Every sender test talks only to servers on 127.0.0.1. Addresses outside loopback appear only in
/// stub answers that must be refused before any connect; where a faulty sender could connect, a
/// live loopback server comes first in the list, so the fault shows as a connection it received.
final class WebhookSenderTests: XCTestCase {
    private let body = Array(#"{"event":"order.created","id":42}"#.utf8)
    private let secret = Array("whsec_test".utf8)

    private func sender(
        allowsLoopback: Bool = true, resolver: any WebhookResolver = SystemWebhookResolver(),
        deadline: TimeAmount = .seconds(10), tls: TLSConfiguration = .makeClientConfiguration()
    ) throws -> WebhookSender {
        try WebhookSender(
            resolver: resolver, policy: WebhookAddressPolicy(allowsLoopback: allowsLoopback),
            limits: .init(connectTimeout: .seconds(5), deadline: deadline, maxResponseBytes: 64 * 1024),
            tlsConfiguration: tls
        )
    }

    /// A test server closed when the test ends.
    private func start(_ behaviour: ScriptedHTTPServer.Behaviour, tls: NIOSSLContext? = nil) async throws -> ScriptedHTTPServer {
        let server = try await ScriptedHTTPServer.start(behaviour, tls: tls)
        addTeardownBlock { try? await server.close() }
        return server
    }

    private func url(_ port: Int, _ path: String = "/hook") throws -> WebhookURL {
        try WebhookURL(validating: "http://127.0.0.1:\(port)\(path)", allowsPlainHTTP: true)
    }

    private func loopback(_ port: Int) throws -> SocketAddress {
        try SocketAddress(ipAddress: "127.0.0.1", port: port)
    }

    func testDeliveredOn200WithTheExpectedRequest() async throws {
        let server = try await start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        let signature = WebhookSignature.header(body: body, secret: secret, at: Date())
        let attempt = try await sender().send(
            to: url(server.port, "/hook?reseller=7"), body: body,
            headers: [(WebhookSignature.headerName, signature), ("X-Switchboard-Event", "order.created"),
                      ("Host", "evil.example"), ("Content-Length", "1")]
        )
        XCTAssertEqual(attempt, .delivered(status: 200))

        let requests = server.snapshot.requests
        XCTAssertEqual(requests.count, 1)
        let request = try XCTUnwrap(requests.first)
        let parts = request.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        XCTAssertEqual(lines.first, "POST /hook?reseller=7 HTTP/1.1")
        let headers = lines.dropFirst().map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        func values(_ name: String) -> [String] { headers.filter { $0.0 == name }.map(\.1) }
        XCTAssertEqual(values("host"), ["127.0.0.1:\(server.port)"])
        XCTAssertEqual(values("content-type"), ["application/json"])
        XCTAssertEqual(values("content-length"), ["\(body.count)"])
        XCTAssertEqual(values("connection"), ["close"])
        XCTAssertEqual(values("user-agent"), ["Switchboard-Webhooks/1"])
        XCTAssertEqual(values("x-switchboard-event"), ["order.created"])
        XCTAssertEqual(values("transfer-encoding"), [])
        XCTAssertEqual(parts.dropFirst().joined(separator: "\r\n\r\n"), String(decoding: body, as: UTF8.self))
        let received = try XCTUnwrap(values("switchboard-signature").first)
        XCTAssertTrue(WebhookSignature.verify(header: received, body: Array(parts[1].utf8), secret: secret, now: Date()))
    }

    func testRejectedOn500() async throws {
        let server = try await start(.respond("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom"))
        let attempt = try await sender().send(to: url(server.port), body: body, headers: [])
        XCTAssertEqual(attempt, .rejected(status: 500))
        XCTAssertEqual(server.snapshot.accepted, 1)
    }

    func testRedirectIsRejectedAndNeverFollowed() async throws {
        let target = try await start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        let redirector = try await start(.respond(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:\(target.port)/elsewhere\r\nContent-Length: 0\r\n\r\n"
        ))
        let attempt = try await sender().send(to: url(redirector.port), body: body, headers: [])
        XCTAssertEqual(attempt, .rejected(status: 302))
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(redirector.snapshot.accepted, 1)
        XCTAssertEqual(target.snapshot.accepted, 0)
    }

    func testSilentServerFailsAtTheDeadlineAndTheConnectionIsClosed() async throws {
        let server = try await start(.silent)
        let started = ContinuousClock.now
        let attempt = try await sender(deadline: .milliseconds(500)).send(to: url(server.port), body: body, headers: [])
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(attempt, .failed(reason: "timed out after 500 ms"))
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(450))
        XCTAssertLessThan(elapsed, .seconds(3))
        XCTAssertEqual(server.snapshot.requests.count, 1)
        let closed = await server.eventually { $0.closed == 1 }
        XCTAssertTrue(closed, "the sender left the connection open")
    }

    func testEndlessBodyStopsAtTheByteLimitAndTheStatusCounts() async throws {
        let server = try await start(.stream(head: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"))
        let started = ContinuousClock.now
        let attempt = try await sender(deadline: .seconds(10)).send(to: url(server.port), body: body, headers: [])
        XCTAssertEqual(attempt, .delivered(status: 200))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        let closed = await server.eventually { $0.closed == 1 }
        XCTAssertTrue(closed, "the sender kept reading")
        XCTAssertLessThan(server.snapshot.bytesStreamed, 16 * 1024 * 1024, "the sender read far past its limit")

        let chunked = try await start(.stream(head: "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n"))
        let rejected = try await sender().send(to: url(chunked.port), body: body, headers: [])
        XCTAssertEqual(rejected, .rejected(status: 503))
    }

    func testStatusCountsWhenTheBodyStallsPastTheDeadline() async throws {
        let server = try await start(.stall("HTTP/1.1 204 No Content\r\n\r\n"))
        let stalled = try await start(.stall("HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\nonly-a-part"))
        let attempt = try await sender(deadline: .milliseconds(500)).send(to: url(server.port), body: body, headers: [])
        XCTAssertEqual(attempt, .delivered(status: 204))
        let late = try await sender(deadline: .milliseconds(500)).send(to: url(stalled.port), body: body, headers: [])
        XCTAssertEqual(late, .delivered(status: 201))
        let closed = await stalled.eventually { $0.closed == 1 }
        XCTAssertTrue(closed)
    }

    func testGarbageAndEarlyCloseFail() async throws {
        let garbage = try await start(.respond("SSH-2.0-OpenSSH_9.6\r\n\r\nnot http at all"))
        let closer = try await start(.closeAtOnce)
        let headless = try await start(.respond("HTTP/1.1 200"))

        guard case .failed(let reason) = try await sender().send(to: url(garbage.port), body: body, headers: []) else {
            return XCTFail("garbage was taken as a response")
        }
        XCTAssertTrue(reason.hasPrefix("malformed response: "), reason)

        guard case .failed(let early) = try await sender().send(to: url(closer.port), body: body, headers: []) else {
            return XCTFail("an early close was taken as a response")
        }
        XCTAssertTrue(early == "the connection closed before a response arrived" || early.hasPrefix("connection error: "), early)

        guard case .failed(let partial) = try await sender().send(to: url(headless.port), body: body, headers: []) else {
            return XCTFail("a partial status line was taken as a response")
        }
        XCTAssertTrue(partial.hasPrefix("malformed response: ") || partial == "the connection closed before a response arrived", partial)
    }

    func testConnectionRefusedFails() async throws {
        let port = try await ScriptedHTTPServer.closedPort()
        guard case .failed(let reason) = try await sender().send(to: url(port), body: body, headers: []) else {
            return XCTFail("expected a failure")
        }
        XCTAssertTrue(reason.hasPrefix("could not connect to 127.0.0.1:\(port): "), reason)
    }

    func testFallsBackToTheNextCheckedAddress() async throws {
        let server = try await start(.respond("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"))
        let closed = try await ScriptedHTTPServer.closedPort()
        let resolver = StubResolver(answer: [try loopback(closed), try loopback(server.port)])
        let hook = try WebhookURL(validating: "http://hooks.test:\(server.port)/", allowsPlainHTTP: true)
        let attempt = try await sender(resolver: resolver).send(to: hook, body: body, headers: [])
        XCTAssertEqual(attempt, .delivered(status: 202))
        XCTAssertEqual(server.snapshot.requests.first?.contains("\r\nHost: hooks.test:\(server.port)\r\n"), true)
    }

    func testSystemResolverThroughLocalhost() async throws {
        let server = try await start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        let hook = try WebhookURL(validating: "http://localhost:\(server.port)/", allowsPlainHTTP: true)
        let attempt = try await sender().send(to: hook, body: body, headers: [])
        XCTAssertEqual(attempt, .delivered(status: 200))
        guard case .refused(let reason) = try await sender(allowsLoopback: false).send(to: hook, body: body, headers: []) else {
            return XCTFail("localhost was contacted without allowsLoopback")
        }
        XCTAssertEqual(reason, "localhost resolves to 127.0.0.1:\(server.port) (loopback address)")
        XCTAssertEqual(server.snapshot.accepted, 1)
    }

    // MARK: TLS

    func testHTTPSToAnIPLiteralVerifiesTheCertificatesIPAddress() async throws {
        let server = try await start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                                                tls: TestCertificates.serverContext(.ipAddress))
        // No SNI for an IP literal; the certificate's IP address entry is verified against the peer.
        let literal = try WebhookURL(validating: "https://127.0.0.1:\(server.port)/tls", allowsPlainHTTP: false)
        let attempt = try await sender(tls: TestCertificates.clientConfiguration()).send(to: literal, body: body, headers: [])
        XCTAssertEqual(attempt, .delivered(status: 200))
        XCTAssertEqual(server.snapshot.requests.first?.hasPrefix("POST /tls HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n"), true)

        // The default trust roots do not include the test CA.
        guard case .failed(let untrusted) = try await sender().send(to: literal, body: body, headers: []) else {
            return XCTFail("an untrusted certificate was accepted")
        }
        XCTAssertTrue(untrusted.hasPrefix("TLS failure: "), untrusted)
        XCTAssertEqual(server.snapshot.requests.count, 1)
    }

    func testHTTPSToANameVerifiesTheCertificatesName() async throws {
        let server = try await start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                                                tls: TestCertificates.serverContext(.localhostName))
        let trusting = try sender(resolver: StubResolver(answer: [loopback(server.port)]), tls: TestCertificates.clientConfiguration())
        let named = try WebhookURL(validating: "https://localhost:\(server.port)/tls", allowsPlainHTTP: false)
        let byName = await trusting.send(to: named, body: body, headers: [])
        XCTAssertEqual(byName, .delivered(status: 200))

        // Same server and address, but names the certificate does not carry.
        for text in ["https://hooks.test:\(server.port)/tls", "https://127.0.0.1:\(server.port)/tls"] {
            let other = try WebhookURL(validating: text, allowsPlainHTTP: false)
            guard case .failed(let mismatch) = await trusting.send(to: other, body: body, headers: []) else {
                return XCTFail("\(text) accepted a certificate for localhost")
            }
            XCTAssertTrue(mismatch.hasPrefix("TLS failure: "), mismatch)
        }
        XCTAssertEqual(server.snapshot.requests.count, 1)
    }

    func testHTTPSAgainstAPlainServerFailsTheHandshake() async throws {
        let server = try await start(.greet("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        for host in ["127.0.0.1", "localhost"] {
            let hook = try WebhookURL(validating: "https://\(host):\(server.port)/", allowsPlainHTTP: false)
            guard case .failed(let reason) = try await sender().send(to: hook, body: body, headers: []) else {
                return XCTFail("a plain-text answer passed as TLS")
            }
            XCTAssertTrue(reason.hasPrefix("TLS failure: "), reason)
            XCTAssertTrue(reason.contains("WRONG_VERSION_NUMBER"), reason)
            XCTAssertFalse(reason.contains(".build/"), reason)
        }
    }

    // MARK: Refusals: nothing is contacted.

    func testInternalAnswersAreRefusedBeforeAnyConnect() async throws {
        let server = try await start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        let hook = try WebhookURL(validating: "http://hooks.test:\(server.port)/", allowsPlainHTTP: true)
        let live = try loopback(server.port)
        let cases: [(allowsLoopback: Bool, answer: [SocketAddress], reason: String)] = [
            (false, [live], "hooks.test resolves to 127.0.0.1:\(server.port) (loopback address)"),
            (true, [live, try SocketAddress(ipAddress: "169.254.169.254", port: 80)],
             "hooks.test resolves to 169.254.169.254:80 (link-local address)"),
            (true, [live, try SocketAddress(ipAddress: "10.0.0.1", port: 80)], "hooks.test resolves to 10.0.0.1:80 (private address)"),
            (true, [live, try SocketAddress(ipAddress: "::ffff:192.168.0.1", port: 80)],
             "hooks.test resolves to [::ffff:192.168.0.1]:80 (private address)"),
            (true, [], "hooks.test has no address"),
        ]
        for (allowsLoopback, answer, reason) in cases {
            let attempt = try await sender(allowsLoopback: allowsLoopback, resolver: StubResolver(answer: answer))
                .send(to: hook, body: body, headers: [])
            XCTAssertEqual(attempt, .refused(reason: reason))
        }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(server.snapshot.accepted, 0)
    }

    /// Public addresses appear here only through `checkAddresses`, which never connects.
    func testAddressCheckJudgesEveryAnswer() async throws {
        let hook = try WebhookURL(validating: "https://hooks.example.com/", allowsPlainHTTP: false)
        let google = try SocketAddress(ipAddress: "8.8.8.8", port: 443)
        let cloudflare = try SocketAddress(ipAddress: "2606:4700:4700::1111", port: 443)
        func check(_ answer: [SocketAddress], allowsLoopback: Bool = false) async throws -> WebhookSender.AddressCheck {
            try await sender(allowsLoopback: allowsLoopback, resolver: StubResolver(answer: answer)).checkAddresses(for: hook)
        }
        let single = try await check([SocketAddress(ipAddress: "10.0.0.1", port: 443)])
        XCTAssertEqual(single, .stopped(.refused(reason: "hooks.example.com resolves to 10.0.0.1:443 (private address)")))
        let metadata = try await check([SocketAddress(ipAddress: "169.254.169.254", port: 443)], allowsLoopback: true)
        XCTAssertEqual(metadata, .stopped(.refused(reason: "hooks.example.com resolves to 169.254.169.254:443 (link-local address)")))
        let mixed = try await check([google, SocketAddress(ipAddress: "127.0.0.1", port: 443)])
        XCTAssertEqual(mixed, .stopped(.refused(reason: "hooks.example.com resolves to 127.0.0.1:443 (loopback address)")))
        let mixedV6 = try await check([google, SocketAddress(ipAddress: "fd00::5", port: 443)])
        XCTAssertEqual(mixedV6, .stopped(.refused(reason: "hooks.example.com resolves to [fd00::5]:443 (unique-local address)")))
        let publicOnly = try await check([google, cloudflare])
        XCTAssertEqual(publicOnly, .allowed([google, cloudflare]))
        let failing = try await sender(resolver: FailingResolver()).checkAddresses(for: hook)
        XCTAssertEqual(failing, .stopped(.failed(reason: "could not resolve hooks.example.com: Name or service not known")))
        let unresolvable = try await sender(resolver: FailingResolver()).send(to: hook, body: body, headers: [])
        XCTAssertEqual(unresolvable, .failed(reason: "could not resolve hooks.example.com: Name or service not known"))
    }
}
