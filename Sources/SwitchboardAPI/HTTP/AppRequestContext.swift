import Hummingbird
import Logging
import SwitchboardDomain

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
    /// Who the served operation admits (``OperationAccess``), set by the transport; nobody
    /// outside a served operation, so a transaction there is refused (fail closed).
    var access: OperationAccess = .open
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
