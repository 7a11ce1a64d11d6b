import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Sends one webhook delivery: a single bounded POST, safe to aim at a reseller-chosen URL.
///
/// The host is resolved once, every address is judged by the policy, and the connection goes to one of
/// exactly those checked addresses: no later step resolves the name again, so DNS rebinding cannot swap
/// in an internal address after the check. Redirects are never followed (their target was not checked).
/// Every phase is bounded: the connect timeout, one deadline over connect, TLS, write and read, and
/// a cap on response bytes read.
package struct WebhookSender: Sendable {
    package struct Limits: Sendable {
        /// How long one TCP connect may take.
        package var connectTimeout: TimeAmount
        /// The whole attempt, from resolving to the response's end.
        package var deadline: TimeAmount
        /// Response bytes (of the body) read before the connection is closed; the status still counts.
        package var maxResponseBytes: Int

        package init(connectTimeout: TimeAmount = .seconds(5), deadline: TimeAmount = .seconds(10), maxResponseBytes: Int = 64 * 1024) {
            self.connectTimeout = connectTimeout
            self.deadline = deadline
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// The outcome of resolving and judging a URL's host: the addresses a delivery may use, or
    /// the attempt's end when none may be used.
    package enum AddressCheck: Sendable, Equatable {
        case allowed([SocketAddress])
        case stopped(WebhookAttempt)
    }

    /// Headers the sender writes itself; a caller's header of the same name is left out so the
    /// request cannot be framed twice.
    private static let ownHeaders: Set<String> = [
        "host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent",
    ]

    private let eventLoopGroup: any EventLoopGroup
    private let resolver: any WebhookResolver
    private let policy: WebhookAddressPolicy
    private let limits: Limits
    private let sslContext: NIOSSLContext

    /// Throws when the TLS context (trust roots) cannot be built: a start-up error, not a delivery's.
    /// The default TLS configuration verifies the certificate chain and the host name.
    package init(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        resolver: any WebhookResolver = SystemWebhookResolver(),
        policy: WebhookAddressPolicy,
        limits: Limits = Limits(),
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration()
    ) throws {
        self.eventLoopGroup = eventLoopGroup
        self.resolver = resolver
        self.policy = policy
        self.limits = limits
        self.sslContext = try NIOSSLContext(configuration: tlsConfiguration)
    }

    package func send(to url: WebhookURL, body: [UInt8], headers: [(String, String)]) async -> WebhookAttempt {
        let deadline = NIODeadline.now() + limits.deadline
        let timeoutReason = "timed out after \(Self.describe(limits.deadline))"
        let addresses: [SocketAddress]
        switch await checkAddresses(for: url) {
        case .stopped(let attempt): return attempt
        case .allowed(let allowed): addresses = allowed
        }
        guard NIODeadline.now() < deadline else { return .failed(reason: timeoutReason) }

        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.pathAndQuery)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "User-Agent", value: "Switchboard-Webhooks/1")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers where !Self.ownHeaders.contains(name.lowercased()) {
            head.headers.add(name: name, value: value)
        }

        let loop = eventLoopGroup.next()
        let result = loop.makePromise(of: WebhookAttempt.self)
        let plan = WebhookExchange.Plan(
            addresses: addresses, head: head, body: ByteBuffer(bytes: body),
            sslContext: url.scheme == "https" ? sslContext : nil,
            serverHostname: url.hostIsIPAddress ? nil : url.host,
            connectTimeout: limits.connectTimeout, deadline: deadline, timeoutReason: timeoutReason,
            maxResponseBytes: limits.maxResponseBytes
        )
        loop.execute { WebhookExchange(plan: plan, loop: loop, result: result).start() }
        do {
            return try await result.futureResult.get()
        } catch {
            return .failed(reason: "\(error)")  // not reached: the exchange only succeeds the promise
        }
    }

    /// Resolves the host once and judges every address. One internal address refuses the whole
    /// delivery, since a name that mixes public and internal answers is itself suspect.
    package func checkAddresses(for url: WebhookURL) async -> AddressCheck {
        let addresses: [SocketAddress]
        do {
            addresses = try await resolver.addresses(host: url.host, port: url.port)
        } catch {
            return .stopped(.failed(reason: "could not resolve \(url.host): \(error)"))
        }
        guard !addresses.isEmpty else { return .stopped(.refused(reason: "\(url.host) has no address")) }
        for address in addresses {
            if let reason = policy.refusal(for: address) {
                return .stopped(.refused(reason: "\(url.host) resolves to \(Self.describe(address)) (\(reason))"))
            }
        }
        return .allowed(addresses)
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    static func describe(_ amount: TimeAmount) -> String {
        amount.nanoseconds % 1_000_000_000 == 0
            ? "\(amount.nanoseconds / 1_000_000_000) s" : "\(amount.nanoseconds / 1_000_000) ms"
    }
}

/// One delivery's connection, confined to one event loop. Its result promise is completed exactly
/// once (`finish`), by the response, an error, the peer closing, or the deadline, and whichever
/// comes first closes the channel.
private final class WebhookExchange {
    struct Plan: Sendable {
        var addresses: [SocketAddress]
        var head: HTTPRequestHead
        var body: ByteBuffer
        var sslContext: NIOSSLContext?
        var serverHostname: String?
        var connectTimeout: TimeAmount
        var deadline: NIODeadline
        var timeoutReason: String
        var maxResponseBytes: Int
    }

    let plan: Plan
    let loop: any EventLoop
    let result: EventLoopPromise<WebhookAttempt>
    /// The channel of the current connect attempt: events from any other channel are stale.
    private var channel: (any Channel)?
    private var status: Int?
    private var bodyBytes = 0
    private var finished = false
    private var timer: Scheduled<Void>?

    init(plan: Plan, loop: any EventLoop, result: EventLoopPromise<WebhookAttempt>) {
        self.plan = plan
        self.loop = loop
        self.result = result
    }

    func start() {
        timer = loop.assumeIsolated().scheduleTask(deadline: plan.deadline) { self.timedOut() }
        connect(to: 0)
    }

    private func connect(to index: Int) {
        let remaining = plan.deadline - .now()
        guard !finished, remaining > .zero else { return }
        let address = plan.addresses[index]
        let exchange = NIOLoopBound(self, eventLoop: loop)
        let (sslContext, serverHostname) = (plan.sslContext, plan.serverHostname)
        ClientBootstrap(group: loop)
            .connectTimeout(min(plan.connectTimeout, remaining))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    exchange.value.channel = channel
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(WebhookResponseHandler(exchange: exchange.value))
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { outcome in
                switch outcome {
                case .success(let channel):
                    self.connected(channel)
                case .failure where index + 1 < self.plan.addresses.count:
                    self.connect(to: index + 1)
                case .failure(let error):
                    self.finish(.failed(reason: "could not connect to \(WebhookSender.describe(address)): \(error)"))
                }
            }
    }

    private func connected(_ channel: any Channel) {
        guard !finished else { return channel.close(promise: nil) }
        self.channel = channel
        channel.write(HTTPClientRequestPart.head(plan.head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(plan.body)), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).assumeIsolated().whenFailure { error in
            self.failed(on: channel, "could not send the request: \(error)")
        }
    }

    // MARK: Events from the response handler, each naming its channel.

    func received(_ head: HTTPResponseHead, on channel: any Channel) {
        guard channel === self.channel, status == nil else { return }
        status = Int(head.status.code)
    }

    func receivedBody(_ bytes: Int, on channel: any Channel) {
        guard channel === self.channel else { return }
        bodyBytes += bytes
        if bodyBytes > plan.maxResponseBytes { finishWithStatus() }
    }

    func responseEnded(on channel: any Channel) {
        guard channel === self.channel, status != nil else { return }
        finishWithStatus()
    }

    /// The connection broke or closed: the status counts if it had arrived.
    func failed(on channel: any Channel, _ reason: String) {
        guard channel === self.channel else { return }
        finishWithStatus(orElse: reason)
    }

    private func timedOut() {
        finishWithStatus(orElse: plan.timeoutReason)
    }

    private func finishWithStatus(orElse reason: String = "no response") {
        switch status {
        case .some(let code) where (200..<300).contains(code): finish(.delivered(status: code))
        case .some(let code): finish(.rejected(status: code))
        case .none: finish(.failed(reason: reason))
        }
    }

    private func finish(_ attempt: WebhookAttempt) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        channel?.close(promise: nil)
        result.succeed(attempt)
    }
}

/// Reads the response into the exchange: the head's status, the body's size (its bytes are
/// dropped), the end, and errors or an early close.
private final class WebhookResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let exchange: WebhookExchange
    /// A 1xx interim head (100 Continue, 103 Early Hints) is followed by the real one.
    private var inInterimResponse = false

    init(exchange: WebhookExchange) {
        self.exchange = exchange
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let code = head.status.code
            inInterimResponse = (100..<200).contains(code) && code != 101
            if !inInterimResponse { exchange.received(head, on: context.channel) }
        case .body(let buffer):
            exchange.receivedBody(buffer.readableBytes, on: context.channel)
        case .end:
            if inInterimResponse {
                inInterimResponse = false
            } else {
                exchange.responseEnded(on: context.channel)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason: String
        switch error {
        // BoringSSL's errors name the C source file and line: noise in a reason shown to people.
        case is NIOSSLError, is NIOSSLExtraError: reason = "TLS failure: " + "\(error)".replacing(/\ at \/\S*?:\d+/, with: "")
        case is HTTPParserError: reason = "malformed response: \(error)"
        default: reason = "connection error: \(error)"
        }
        exchange.failed(on: context.channel, reason)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.failed(on: context.channel, "the connection closed before a response arrived")
        context.fireChannelInactive()
    }
}
