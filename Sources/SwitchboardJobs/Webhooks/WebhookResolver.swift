#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Turns a webhook host into the addresses a delivery may connect to. The sender resolves once per
/// attempt, judges every address, and connects to one of exactly those: nothing resolves the name
/// again, so a DNS answer that changes between check and connect (rebinding) cannot slip through.
package protocol WebhookResolver: Sendable {
    func addresses(host: String, port: Int) async throws -> [SocketAddress]
}

/// The system resolver (getaddrinfo). getaddrinfo blocks and cannot be cancelled, so it runs on a
/// thread pool and the caller waits at most `timeout`; a lookup that hangs then ends in its own time.
package struct SystemWebhookResolver: WebhookResolver {
    package var timeout: TimeAmount
    private let eventLoopGroup: any EventLoopGroup
    private let threadPool: NIOThreadPool

    package init(
        timeout: TimeAmount = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        threadPool: NIOThreadPool = .singleton
    ) {
        self.timeout = timeout
        self.eventLoopGroup = eventLoopGroup
        self.threadPool = threadPool
    }

    package func addresses(host: String, port: Int) async throws -> [SocketAddress] {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return [literal] }
        let loop = eventLoopGroup.next()
        let answer = loop.makePromise(of: [SocketAddress].self)
        threadPool.runIfActive(eventLoop: loop) { try Self.lookUp(host: host, port: port) }.cascade(to: answer)
        let timeout = self.timeout
        // A promise takes its first result only, so the late lookup's answer is dropped.
        let timer = loop.scheduleTask(in: timeout) {
            answer.fail(WebhookResolutionError(message: "no answer within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        answer.futureResult.whenComplete { _ in timer.cancel() }
        return try await answer.futureResult.get()
    }

    private static func lookUp(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc) || canImport(Musl)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            throw WebhookResolutionError(message: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let raw = info.ai_addr {
                switch info.ai_family {
                case AF_INET:
                    raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        addresses.append(SocketAddress($0.pointee, host: host))
                    }
                case AF_INET6:
                    raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        addresses.append(SocketAddress($0.pointee, host: host))
                    }
                default:
                    break
                }
            }
            entry = info.ai_next
        }
        return addresses
    }
}

/// A name that could not be resolved; `message` is the resolver's reason.
package struct WebhookResolutionError: Error, CustomStringConvertible {
    package var message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}
