import HTTPTypes
import Hummingbird
internal import OpenAPIHummingbird
internal import OpenAPIRuntime

/// Registers the generated handlers on the router and remembers which methods each path has,
/// so a known path with the wrong method answers 405 with `Allow` instead of the router's 404.
///
/// Every operation passes through `register`'s wrapper, so this is where the request is held to
/// its operation's ``OperationAccess`` (before its body is read, by ``OperationGate``) and where
/// the contract's response headers get their exact text back (``ContractResponseHeaders``).
final class MethodAwareTransport: ServerTransport {
    private let router: Router<AppRequestContext>
    private let gate: OperationGate
    private var methodsByPath: [String: [HTTPRequest.Method]] = [:]

    init(router: Router<AppRequestContext>, gate: OperationGate) {
        self.router = router
        self.gate = gate
    }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        let route = OperationAccess.key(method, path)
        guard let access = OperationAccess.byRoute[route] else { throw OperationAccessMissing(route: route) }
        methodsByPath[path, default: []].append(method)
        let gate = gate
        router.register({ request, body, metadata in
            var info = RequestInfo.current
            info.matchedRoute?.record(route)
            info.access = access
            let admission = try await gate.admit(request, body: body, access: access, pathTemplate: path, logger: info.logger)
            info.admittedPrincipal = admission.principal
            let handled: (HTTPResponse, HTTPBody?)
            do {
                handled = try await RequestInfo.$current.withValue(info) {
                    try await handler(request, admission.body, metadata)
                }
            } catch {
                throw await gate.precedence(of: error, request: request, access: access, admitted: admission.principal != nil, logger: info.logger)
            }
            // A change made here may have ended a credential (a logout, a revocation, a suspension).
            // Its announcement reaches this replica's listener a few milliseconds after the commit,
            // which is after this response; so the replica that made the change forgets at once.
            // Only a change that succeeded: refused requests cannot empty everyone's cache.
            if !Self.safeMethods.contains(request.method), handled.0.status.kind == .successful {
                gate.authenticator.credentials.cache.invalidateAll()
            }
            var response = handled.0
            ContractResponseHeaders.restoreVerbatim(&response.headerFields)
            return (response, handled.1)
        }, method: method, path: path)
    }

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

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
