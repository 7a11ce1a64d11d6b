import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes connections whose client is too slow to send a request: what Hummingbird's idle timeout
/// cannot do, because any arriving part (or, before the head is parsed, nothing at all) resets it.
///
/// - Header: the whole head must arrive within ``ConnectionLimits/headerReadTimeout`` of its first
///   byte; a client trickling one header line at a time cannot extend it.
/// - Body: whenever the server asks for more of a body, some must arrive within
///   ``ConnectionLimits/bodyReadTimeout``. Time the server spends not reading (backpressure while a
///   handler or the database is busy) does not count against the client.
///
/// Both answer `408 Request Timeout` (unless a response has started) and close the connection.
final class RequestReadDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        case betweenRequests
        case readingHead
        case readingBody
    }

    private let headerReadTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private var phase = Phase.betweenRequests
    private var responseStarted = false
    private var headerDeadline: Scheduled<Void>?
    private var bodyDeadline: Scheduled<Void>?
    private var observer: RequestByteObserver?

    init(limits: ConnectionLimits) {
        headerReadTimeout = TimeAmount(limits.headerReadTimeout)
        bodyReadTimeout = TimeAmount(limits.bodyReadTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The byte observer must see bytes before the HTTP decoder does, so it goes first.
        let observer = RequestByteObserver(reportingTo: self)
        self.observer = observer
        try? context.pipeline.syncOperations.addHandler(observer, position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadlines()
        observer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadlines()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headerDeadline?.cancel()
            headerDeadline = nil
            phase = .readingBody
            responseStarted = false
        case .body:
            break
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
            phase = .betweenRequests
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) { responseStarted = true }
        context.write(data, promise: promise)
    }

    // MARK: reports from the byte observer (same event loop)

    func bytesArrived(observer context: ChannelHandlerContext) {
        switch phase {
        case .betweenRequests:
            phase = .readingHead
            headerDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: headerReadTimeout) { [self] in
                guard phase == .readingHead else { return }
                timedOut(context)
            }
        case .readingHead:
            break
        case .readingBody:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        }
    }

    func readRequested(observer context: ChannelHandlerContext) {
        guard phase == .readingBody, bodyDeadline == nil else { return }
        bodyDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: bodyReadTimeout) { [self] in
            bodyDeadline = nil
            guard phase == .readingBody else { return }
            timedOut(context)
        }
    }

    /// Written at the byte level, under the HTTP encoder, so it works whatever state the encoder is in.
    private func timedOut(_ context: ChannelHandlerContext) {
        cancelDeadlines()
        guard context.channel.isActive else { return }
        if responseStarted {
            context.close(promise: nil)
            return
        }
        let answer = "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: answer)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func cancelDeadlines() {
        headerDeadline?.cancel()
        headerDeadline = nil
        bodyDeadline?.cancel()
        bodyDeadline = nil
    }
}

