import NIOCore

/// Sits first in a connection's pipeline, where bytes arrive before HTTP parsing, and tells its
/// ``RequestReadDeadlineHandler`` when a request's bytes start arriving and when the server asks for
/// more; it also lets the handler write a raw 408 straight to the socket.
final class RequestByteObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private unowned let deadlines: RequestReadDeadlineHandler

    init(reportingTo deadlines: RequestReadDeadlineHandler) {
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived(observer: context)
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        deadlines.readRequested(observer: context)
        context.read()
    }
}
