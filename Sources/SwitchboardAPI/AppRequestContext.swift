import Hummingbird
import Logging

/// Hummingbird's request context, plus the request id every log line and problem document carries.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var requestID: String

    package init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }
}

/// What an OpenAPI handler knows about the request it serves. The generated handlers see only
/// their typed input, so the boundary middleware publishes this as a task-local.
package struct RequestInfo: Sendable {
    package var requestID: String
    package var logger: Logger
    /// The raw `Authorization` header, resolved to a principal by the handlers that need one.
    package var authorization: String?

    @TaskLocal package static var current = RequestInfo(requestID: "", logger: Logger(label: "switchboard"), authorization: nil)
}
