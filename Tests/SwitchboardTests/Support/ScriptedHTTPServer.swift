import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A raw-bytes HTTP peer on 127.0.0.1 that misbehaves on request: the sender's tests need servers
/// that answer, redirect, stay silent, stream without end, or send garbage.
final class ScriptedHTTPServer: Sendable {
    enum Behaviour: Sendable {
        /// Writes these bytes once the whole request arrived, then closes.
        case respond(String)
        /// Reads the request and never answers.
        case silent
        /// Writes this head, then body bytes until the peer goes (at most 64 MiB).
        case stream(head: String)
        /// Writes this head and part of the body, then stalls.
        case stall(String)
        /// Closes as soon as the connection is accepted.
        case closeAtOnce
        /// Writes these bytes as soon as the connection is accepted, before any request.
        case greet(String)
    }

    struct Stats: Sendable {
        var accepted = 0
        var closed = 0
        var requests: [String] = []
        var bytesStreamed = 0
    }

    let port: Int
    private let channel: any Channel
    let stats: NIOLockedValueBox<Stats>

    private init(channel: any Channel, stats: NIOLockedValueBox<Stats>) {
        self.channel = channel
        self.port = channel.localAddress!.port!
        self.stats = stats
    }

    /// With `tls`, the server speaks TLS with that context before the behaviour; `port` 0 takes a free one.
    static func start(_ behaviour: Behaviour, tls: NIOSSLContext? = nil, port: Int = 0) async throws -> ScriptedHTTPServer {
        let stats = NIOLockedValueBox(Stats())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    if let tls { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try child.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, stats: stats))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        return ScriptedHTTPServer(channel: channel, stats: stats)
    }

    /// A port on which nothing listens: bound, then closed.
    static func closedPort() async throws -> Int {
        let server = try await start(.silent)
        try await server.close()
        return server.port
    }

    func close() async throws {
        try await channel.close()
    }

    var snapshot: Stats { stats.withLockedValue { $0 } }

    /// Polls until `condition` holds or `seconds` pass; true when it held.
    func eventually(within seconds: Double = 3, _ condition: (Stats) -> Bool) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if condition(snapshot) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(snapshot)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let behaviour: Behaviour
        let stats: NIOLockedValueBox<Stats>
        var received = ByteBuffer()
        var answered = false

        init(behaviour: Behaviour, stats: NIOLockedValueBox<Stats>) {
            self.behaviour = behaviour
            self.stats = stats
        }

        func channelActive(context: ChannelHandlerContext) {
            stats.withLockedValue { $0.accepted += 1 }
            switch behaviour {
            case .closeAtOnce: context.close(promise: nil)
            case .greet(let text): context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            default: break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            stats.withLockedValue { $0.closed += 1 }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            received.writeBuffer(&chunk)
            guard !answered, let request = completeRequest() else { return }
            answered = true
            stats.withLockedValue { $0.requests.append(request) }
            switch behaviour {
            case .respond(let text):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            case .stall(let text):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            case .stream(let head):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
                streamBody(context: context)
            case .silent, .closeAtOnce, .greet:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        private func streamBody(context: ChannelHandlerContext) {
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 16 * 1024)
            guard context.channel.isActive, snapshot.bytesStreamed < 64 * 1024 * 1024 else { return context.close(promise: nil) }
            context.writeAndFlush(wrapOutboundOut(chunk)).assumeIsolated().whenComplete { result in
                guard case .success = result else { return }
                self.stats.withLockedValue { $0.bytesStreamed += chunk.readableBytes }
                self.streamBody(context: context)
            }
        }

        private var snapshot: Stats { stats.withLockedValue { $0 } }

        /// The request's text once its head and Content-Length bytes of body have arrived.
        private func completeRequest() -> String? {
            let text = String(buffer: received)
            guard let end = text.range(of: "\r\n\r\n") else { return nil }
            let length = text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text.utf8.count - text[..<end.upperBound].utf8.count >= length ? text : nil
        }
    }
}
