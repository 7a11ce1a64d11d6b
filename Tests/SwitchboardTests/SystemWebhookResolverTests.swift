import NIOCore
import NIOPosix
import SwitchboardJobs
import XCTest

/// Only literals and /etc/hosts names: these tests send no DNS query.
final class SystemWebhookResolverTests: XCTestCase {
    func testLiteralsResolveToThemselves() async throws {
        let resolver = SystemWebhookResolver()
        let v4 = try await resolver.addresses(host: "203.0.113.5", port: 8443)
        XCTAssertEqual(v4, [try SocketAddress(ipAddress: "203.0.113.5", port: 8443)])
        let v6 = try await resolver.addresses(host: "2001:db8::1", port: 443)
        XCTAssertEqual(v6, [try SocketAddress(ipAddress: "2001:db8::1", port: 443)])
    }

    func testHostsFileName() async throws {
        let addresses = try await SystemWebhookResolver().addresses(host: "localhost", port: 8080)
        XCTAssertFalse(addresses.isEmpty)
        XCTAssertTrue(addresses.allSatisfy { $0.port == 8080 && ($0.ipAddress == "127.0.0.1" || $0.ipAddress == "::1") }, "\(addresses)")
    }

    func testALookupThatDoesNotAnswerTimesOut() async throws {
        // A one-thread pool kept busy: the lookup waits in its queue, as a hanging getaddrinfo would.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let release = DispatchSemaphoreBox()
        pool.submit { _ in release.wait() }
        let resolver = SystemWebhookResolver(timeout: .milliseconds(200), threadPool: pool)
        let started = ContinuousClock.now
        do {
            let addresses = try await resolver.addresses(host: "localhost", port: 80)
            XCTFail("answered \(addresses)")
        } catch let error as WebhookResolutionError {
            XCTAssertEqual(error.message, "no answer within 200 ms")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        release.signal()
        try await pool.shutdownGracefully()
    }
}

import Dispatch

private final class DispatchSemaphoreBox: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func signal() { semaphore.signal() }
}
