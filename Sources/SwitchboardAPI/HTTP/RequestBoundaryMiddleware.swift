internal import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SwitchboardDomain
import SwitchboardStore
internal import OpenAPIRuntime

/// The outermost layer of every request: request id, access log, the body size limit, and the
/// rendering of every error (router, runtime, handler) as an RFC 9457 problem document.
package struct RequestBoundaryMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext

    let maxBodyBytes: Int
    /// Uploads of recordings and pictures; their handlers apply their own, tighter limits.
    let maxContentBytes: Int
    /// CDR batches: streamed, so a chunked body is counted by the ingest itself, never collected here.
    let maxBatchBytes: Int

    /// For an error outside the API's paths: the page to answer with (the portal decides, from the
    /// path, the host and what the client accepts), or nil for the problem document.
    let pageForError: (@Sendable (Request, HTTPResponse.Status) async -> Response?)?

    package init(maxBodyBytes: Int, maxContentBytes: Int = 10 << 20, maxBatchBytes: Int = 512 << 20,
                 pageForError: (@Sendable (Request, HTTPResponse.Status) async -> Response?)? = nil) {
        self.pageForError = pageForError
        self.maxBodyBytes = maxBodyBytes
        self.maxContentBytes = maxContentBytes
        self.maxBatchBytes = maxBatchBytes
    }

    static let batchPath = "/v1/platform/cdrs"

    /// Logging in is open to anyone, so its bodies get a limit that fits an e-mail and a password
    /// and no more: at 1 MiB, anonymous unfinished logins held megabytes each (found by attack).
    static let loginPath = "/v1/sessions"
    static let maxLoginBytes = 8 << 10

    /// The managers' portal: forms of a few short fields; its sign-in is open like the API's login.
    static let portalPrefix = "/portal/"
    static let portalSignInPath = "/portal/sign-in"

    /// A brand's logo: small by rule (``LogoImage``), so refused early when declared larger.
    static let brandLogoPath = "/v1/brand/logo"

    /// Staff CSV imports (`/v1/customers/{customerId}/employees/import`): their own limit, above the default.
    static let staffImportSuffix = "/employees/import"

    func limit(for path: String) -> Int {
        if path == Self.batchPath { return maxBatchBytes }
        // Template or concrete path alike (the gate asks with the one, this middleware with the other).
        if path.hasSuffix(Self.staffImportSuffix) { return StaffCSVLimits.maxBytes }
        if path == Self.loginPath || path == Self.portalSignInPath { return Self.maxLoginBytes }
        if path == Self.brandLogoPath { return LogoImage.maxBytes }
        if path.hasPrefix(Self.portalPrefix) { return PortalController.formLimit }
        return path.hasPrefix("/v1/telephony/") || path.hasSuffix("/picture") ? maxContentBytes : maxBodyBytes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.acceptableRequestID(request.headers[.requestID]) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        context.logger[metadataKey: "request_id"] = .string(requestID)
        let started = ContinuousClock.now
        let info = RequestInfo(requestID: requestID, logger: context.logger, authorization: request.headers[.authorization],
                               peerAddress: context.peerAddress, forwardedFor: request.headers[.xForwardedFor], matchedRoute: context.matchedRoute)

        var response: Response
        do {
            try refuseDeclaredOversize(request)
            let ctx = context
            response = try await RequestInfo.$current.withValue(info) {
                try await next(request, ctx)
            }
        } catch {
            let problem = ProblemMapping.problem(for: error, logger: context.logger)
            if let pageForError, !Self.isAPIPath(request.uri.path), let page = await pageForError(request, problem.status) {
                response = page
            } else {
                response = problem.response(requestID: context.requestID, instance: request.uri.path)
            }
        }
        response.headers[.requestID] = requestID
        Self.applyHygiene(to: &response.headers, path: request.uri.path)
        let elapsed = ContinuousClock.now - started
        // Paths carry ids only; query strings (which may hold search terms) are not logged.
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "ms": .stringConvertible(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000),
            ]
        )
        return response
    }

    /// Refuses a body whose declared length is over the path's limit: nothing is read, and no
    /// credential needs checking to know it. A chunked body is counted as it streams, after the
    /// caller is admitted (``OperationGate``), never collected here.
    private func refuseDeclaredOversize(_ request: Request) throws {
        let maxBodyBytes = limit(for: request.uri.path)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw ByteLimitedBody.tooLarge(maxBodyBytes)
        }
    }

    /// Headers every response carries. `nosniff`: no browser may guess a type for a problem
    /// document or a download. `no-store` on all of `/v1/`: nearly every answer there holds a
    /// secret (keys, session tokens) or personal data, and one rule nobody can forget beats a
    /// per-operation list that misses one; caches and browsers keep none of it.
    static func applyHygiene(to headers: inout HTTPFields, path: String) {
        headers[.xContentTypeOptions] = "nosniff"
        if path.hasPrefix("/v1/") {
            headers[.cacheControl] = "no-store"
        }
    }

    /// The API's paths (`openapi.yaml`): their errors are always problem documents.
    static func isAPIPath(_ path: String) -> Bool {
        path.hasPrefix("/v1/") || path == "/v1" || ["/health", "/ready", "/metrics"].contains(path)
    }

    /// A client-supplied id is echoed only if it is short and plain (it ends up in logs).
    static func acceptableRequestID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
              value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.:".unicodeScalars.contains($0)) })
        else { return nil }
        return value
    }

}

extension HTTPField.Name {
    package static let requestID = Self("X-Request-Id")!
    package static let xForwardedFor = Self("X-Forwarded-For")!
}
