import Hummingbird
import Logging
import SwitchboardDomain
import Synchronization

/// Hummingbird's request context, plus the request id every log line and problem document carries.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var requestID: String
    /// The connection's peer IP address; nil for a peer without one (Unix socket, in-process test client).
    package var peerAddress: String?
    /// Filled by the transport with the served operation, for ``RequestMetricsMiddleware``.
    package var matchedRoute: MatchedRoute? = nil

    package init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// What an OpenAPI handler knows about the request it serves. The generated handlers see only
/// their typed input, so the boundary middleware publishes this as a task-local.
package struct RequestInfo: Sendable {
    package var requestID: String
    package var logger: Logger
    /// The raw `Authorization` header, resolved to a principal by the handlers that need one.
    package var authorization: String?
    /// Where a handler leaves a body it rendered itself; nil outside a served request.
    package var renderedBody: RenderedBody? = nil
    /// The roles the served operation admits (``OperationAccess``), set by the transport; none
    /// outside a served operation, so a transaction there is refused (fail closed).
    package var allowedRoles: Set<Role> = []
    /// The principal ``OperationGate`` resolved before reading the body, so the handler's
    /// transaction enters its scope without resolving the credential again. Nil for bodiless requests.
    package var admittedPrincipal: Principal? = nil
    /// The connection's peer and its `X-Forwarded-For`, resolved by ``ClientAddress`` where a client address matters.
    package var peerAddress: String? = nil
    package var forwardedFor: String? = nil
    /// Where the transport tells ``RequestMetricsMiddleware`` which operation served the request.
    package var matchedRoute: MatchedRoute? = nil

    @TaskLocal package static var current = RequestInfo(requestID: "", logger: Logger(label: "switchboard"), authorization: nil)
}

/// A 2xx body a handler rendered with ``StreamingJSONEncoder``.
///
/// The generated code encodes every response with Foundation's `JSONEncoder` and has no hook to
/// replace it. So the hottest reads render their body here and hand the generated code an empty
/// value of the same schema; ``MethodAwareTransport`` sends these bytes in its place, with their
/// own `Content-Length`. Status, the other headers and the content type come from the generated code.
package final class RenderedBody: Sendable {
    private let bytes = Mutex<[UInt8]?>(nil)

    package init() {}

    func store(_ rendered: [UInt8]) {
        bytes.withLock { $0 = rendered }
    }

    func take() -> [UInt8]? {
        bytes.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
