internal import Foundation
import HTTPTypes
import Hummingbird
import Logging
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

    package init(maxBodyBytes: Int, maxContentBytes: Int = 10 << 20, maxBatchBytes: Int = 512 << 20) {
        self.maxBodyBytes = maxBodyBytes
        self.maxContentBytes = maxContentBytes
        self.maxBatchBytes = maxBatchBytes
    }

    static let batchPath = "/v1/platform/cdrs"

    /// Logging in is open to anyone, so its bodies get a limit that fits an e-mail and a password
    /// and no more: at 1 MiB, anonymous unfinished logins held megabytes each (found by attack).
    static let loginPath = "/v1/sessions"
    static let maxLoginBytes = 8 << 10

    func limit(for path: String) -> Int {
        if path == Self.batchPath { return maxBatchBytes }
        if path == Self.loginPath { return Self.maxLoginBytes }
        return path.hasPrefix("/v1/telephony/") || path.hasSuffix("/picture") ? maxContentBytes : maxBodyBytes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.acceptableRequestID(request.headers[.requestID]) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        context.logger[metadataKey: "request_id"] = .string(requestID)
        let started = ContinuousClock.now
        let info = RequestInfo(requestID: requestID, logger: context.logger, authorization: request.headers[.authorization], renderedBody: RenderedBody(),
                               peerAddress: context.peerAddress, forwardedFor: request.headers[.xForwardedFor], matchedRoute: context.matchedRoute)

        var response: Response
        do {
            try refuseDeclaredOversize(request)
            let ctx = context
            response = try await RequestInfo.$current.withValue(info) {
                try await next(request, ctx)
            }
        } catch {
            response = problemResponse(for: error, request: request, context: context)
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

    /// A client-supplied id is echoed only if it is short and plain (it ends up in logs).
    static func acceptableRequestID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
              value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.:".unicodeScalars.contains($0)) })
        else { return nil }
        return value
    }

    func problemResponse(for error: any Error, request: Request, context: Context) -> Response {
        let problem = ProblemMapping.problem(for: error, logger: context.logger)
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        let body = problem.body(requestID: context.requestID, instance: request.uri.path)
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns any error into the problem a client may see; everything unexpected is logged and becomes a bare 500.
enum ProblemMapping {
    static func problem(for error: any Error, logger: Logger) -> Problem {
        // Logged once per outage where it is detected (ScopedDatabase), so not here.
        if let unavailable = ((error as? ServerError)?.underlyingError ?? error) as? DatabaseUnavailable {
            return .databaseUnavailable(unavailable)
        }
        switch error {
        case let problem as Problem:
            return problem
        case let serverError as ServerError:
            if let problem = serverError.underlyingError as? Problem { return problem }
            // The input could not be decoded: name the query parameter if it was one of them.
            if serverError.operationInput == nil, serverError.httpStatus == .badRequest,
               let problem = QueryParameterRules.problem(operationID: serverError.operationID, request: serverError.request) {
                return problem
            }
            if let decoding = serverError.underlyingError as? DecodingError {
                return decodingProblem(decoding)
            }
            let code = serverError.httpStatus.code
            if (400..<500).contains(code) {
                if serverError.httpStatus == .unsupportedMediaType {
                    return Problem(status: .unsupportedMediaType, type: Problem.typeURI("unsupported-media-type"),
                                   title: "Unsupported media type", detail: serverError.causeDescription)
                }
                return Problem(status: serverError.httpStatus, type: Problem.typeURI("invalid-request"),
                               title: "Invalid request", detail: serverError.causeDescription)
            }
            logger.error("unhandled error in operation", metadata: [
                "operation": "\(serverError.operationID)", "error": "\(PostgresErrorDescription.describe(serverError.underlyingError))",
            ])
            return .internalError
        case let httpError as HTTPError:
            switch httpError.status {
            case .notFound: return .notFound("No route matches this path.")
            case .contentTooLarge:
                return Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large", detail: "The request body is too large.")
            case let status where (400..<500).contains(status.code):
                return Problem(status: status, type: Problem.typeURI("invalid-request"), title: status.reasonPhrase, detail: status.reasonPhrase)
            default:
                logger.error("HTTP error", metadata: ["error": "\(httpError)"])
                return .internalError
            }
        default:
            logger.error("unhandled error", metadata: ["error": "\(PostgresErrorDescription.describe(error))"])
            return .internalError
        }
    }

    /// Names the field and the rule without echoing the client's values or internal type names.
    static func decodingProblem(_ error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("Required field '\(field)' is missing.", errors: [.init(field: field, rule: "required", message: "is required")])
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return .badRequest("Field '\(field)' must not be null.", errors: [.init(field: field, rule: "required", message: "must not be null")])
        case .typeMismatch(_, let context):
            // What is left after the query parameters were checked is the body.
            let field = context.codingPath.isEmpty ? "body" : path(context.codingPath)
            return .badRequest("Field '\(field)' has the wrong type.", errors: [.init(field: field, rule: "type", message: "has the wrong type")])
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .badRequest("The request body is not valid JSON.", errors: [.init(field: "body", rule: "syntax", message: "is not valid JSON")])
            }
            let field = path(context.codingPath)
            return .badRequest("Field '\(field)' has an invalid value.", errors: [.init(field: field, rule: "format", message: "has an invalid value")])
        @unknown default:
            return .badRequest("The request could not be decoded.")
        }
    }
}

extension HTTPField.Name {
    package static let requestID = Self("X-Request-Id")!
    package static let xForwardedFor = Self("X-Forwarded-For")!
}
