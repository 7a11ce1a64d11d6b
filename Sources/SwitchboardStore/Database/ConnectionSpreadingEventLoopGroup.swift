import Dispatch
import NIOCore
import PostgresNIO

/// The event loops of `base`, handing a different one to every new pooled connection.
///
/// `EventLoopGroup.any()` returns the calling thread's own loop, and the pool opens every
/// connection from one task. With tasks running on the event loops, every connection, and so
/// every request's work after its first query, ended up on a single thread.
public final class ConnectionSpreadingEventLoopGroup: EventLoopGroup {
    private let base: any EventLoopGroup

    public init(_ base: any EventLoopGroup = PostgresClient.defaultEventLoopGroup) {
        self.base = base
    }

    public func next() -> any EventLoop { base.next() }

    public func any() -> any EventLoop { base.next() }

    public func makeIterator() -> EventLoopIterator { base.makeIterator() }

    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        base.shutdownGracefully(queue: queue, callback)
    }

    public func _preconditionSafeToSyncShutdown(file: StaticString, line: UInt) {
        base._preconditionSafeToSyncShutdown(file: file, line: line)
    }
}
