import HTTPTypes
import Hummingbird
internal import OpenAPIHummingbird
internal import OpenAPIRuntime

/// Registers the generated handlers on the router and remembers which methods each path has,
/// so a known path with the wrong method answers 405 with `Allow` instead of the router's 404.
final class MethodAwareTransport: ServerTransport {
    private let router: Router<AppRequestContext>
    private var methodsByPath: [String: [HTTPRequest.Method]] = [:]

    init(router: Router<AppRequestContext>) {
        self.router = router
    }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        methodsByPath[path, default: []].append(method)
        router.register({ request, body, metadata in
            let (response, encodedBody) = try await handler(request, body, metadata)
            // A body the handler rendered itself replaces the generated encoding of its stand-in.
            // Its length replaces the stand-in's, which the generated code has already set.
            if let rendered = RequestInfo.current.renderedBody?.take(), response.status.kind == .successful {
                var response = response
                response.headerFields[.contentLength] = String(rendered.count)
                return (response, HTTPBody(rendered))
            }
            return (response, encodedBody)
        }, method: method, path: path)
    }

    /// Call once after every operation is registered.
    func registerMethodNotAllowedFallbacks() {
        let candidates: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace]
        for (path, allowed) in methodsByPath {
            let problem = Problem.methodNotAllowed(allowed: allowed)
            for method in candidates where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in throw problem }
            }
        }
    }
}
