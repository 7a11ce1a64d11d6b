import Synchronization

/// Which operation served a request, told back to the middleware that counts it.
///
/// The route is known only inside ``MethodAwareTransport``'s wrapper, below the router, while
/// ``RequestMetricsMiddleware`` sits above it: contexts and task-locals flow down, not up. So the
/// middleware hands this slot down (``AppRequestContext`` → ``RequestInfo``) and the transport fills it.
package final class MatchedRoute: Sendable {
    private let route = Mutex<String?>(nil)

    package init() {}

    /// The operation's key, "METHOD /path/template" (``OperationAccess/key(_:_:)``): never the raw path.
    func record(_ key: String) {
        route.withLock { $0 = key }
    }

    /// Nil when no operation matched (404, a 405 fallback, a request refused before routing).
    var key: String? { route.withLock { $0 } }
}
