internal import Foundation
import HTTPTypes
import Hummingbird
import Logging
internal import OpenAPIRuntime
import SwitchboardStore

/// Turns any error into the problem a client may see: an error that reports its own problem
/// (``ProblemReporting``) as it says; the generated layer's and the router's refusals of a
/// request's form as 4xx problems; everything unexpected is logged and becomes a bare 500.
enum ProblemMapping {
    static func problem(for error: any Error, logger: Logger) -> Problem {
        // What a handler threw reaches here wrapped by the generated layer.
        if let reporting = ((error as? ServerError)?.underlyingError ?? error) as? any ProblemReporting {
            return reporting.problem
        }
        if let problem = RequestStreamFailure.problem(for: (error as? ServerError)?.underlyingError ?? error) {
            return problem
        }
        switch error {
        case let serverError as ServerError:
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

