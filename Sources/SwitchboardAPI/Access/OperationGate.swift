import HTTPTypes
import Logging
internal import OpenAPIRuntime
import SwitchboardDomain
import SwitchboardStore

/// What is decided about a request from its headers alone, before its body or parameters are
/// looked at: who is calling and whether the operation admits them (``OperationAccess``).
///
/// A request with a body is admitted here (401, 403, 413) before a byte of the body is read,
/// so an unauthenticated client can never make the server hold its upload. Requests without a
/// body are not checked here: their handler resolves the credential (``CredentialResolver``)
/// before its transaction.
struct OperationGate: Sendable {
    let authenticator: Authenticator
    /// The body limit for a path template (``RequestBoundaryMiddleware/limit(for:)``).
    let bodyLimit: @Sendable (String) -> Int

    static let bodyMethods: Set<HTTPRequest.Method> = [.post, .put, .patch]
    static let inputRefusals: Set<HTTPResponse.Status> = [.badRequest, .notAcceptable, .unsupportedMediaType, .unprocessableContent, .preconditionRequired]

    /// Whether the request carries a body a handler would read.
    static func carriesBody(_ request: HTTPRequest) -> Bool {
        guard bodyMethods.contains(request.method) else { return false }
        if let length = request.headerFields[.contentLength] {
            return Int(length).map { $0 > 0 } ?? true
        }
        return request.headerFields[.transferEncoding] != nil
    }

    /// The principal (nil for an open operation or a bodiless request) and the body to hand on,
    /// limited as it streams. Throws 401/403/413 without reading the body.
    func admit(
        _ request: HTTPRequest, body: HTTPBody?, access: OperationAccess, pathTemplate: String, logger: Logger
    ) async throws -> (principal: Principal?, body: HTTPBody?) {
        guard let body, Self.carriesBody(request) else { return (nil, body) }
        var principal: Principal?
        if case .admits = access {
            let resolved = try await resolve(request, logger: logger)
            guard access.admits(resolved) else { throw access.refusal(for: resolved) }
            principal = resolved
        }
        let limit = bodyLimit(pathTemplate)
        if let length = request.headerFields[.contentLength].flatMap(Int.init), length > limit {
            throw ByteLimitedBody.tooLarge(limit)
        }
        return (principal, ByteLimitedBody.wrapping(body, limit: limit))
    }

    /// The error a client should see for `error`, a refusal of the request's input raised before
    /// (or without) a check of its credential: an anonymous caller gets 401 and a caller in the
    /// wrong role 403, never a 400 about a parameter that tells them how the operation is called.
    /// Costs a round trip only on this error path.
    func precedence(of error: any Error, request: HTTPRequest, access: OperationAccess, admitted: Bool, logger: Logger) async -> any Error {
        guard !admitted, case .admits = access, Self.refusesInput(error) else { return error }
        do {
            let principal = try await resolve(request, logger: logger)
            return access.admits(principal) ? error : access.refusal(for: principal)
        } catch let refusal as any ProblemReporting where refusal.status == .unauthorized || refusal.status == .forbidden {
            return refusal
        } catch {
            // The database could not tell: answer what was already known about the input.
            return error
        }
    }

    /// Statuses that judge the request's input rather than the caller or the resource.
    static func refusesInput(_ error: any Error) -> Bool {
        let status: HTTPResponse.Status
        switch error {
        case let reporting as any ProblemReporting: status = reporting.status
        case let serverError as ServerError: status = (serverError.underlyingError as? any ProblemReporting)?.status ?? serverError.httpStatus
        default: return false
        }
        return inputRefusals.contains(status)
    }

    private func resolve(_ request: HTTPRequest, logger: Logger) async throws -> Principal {
        try await authenticator.principal(from: request.headerFields[.authorization], logger: logger)
    }
}
