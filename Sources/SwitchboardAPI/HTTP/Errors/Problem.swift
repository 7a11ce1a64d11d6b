internal import Foundation
import HTTPTypes
import SwitchboardDomain

/// An RFC 9457 problem document, and the one error type handlers throw to answer a client.
public struct Problem: Error, Sendable, Equatable {
    /// One broken rule on one field: the domain's own type, rendered as it is.
    package typealias FieldError = FieldViolation

    public var status: HTTPResponse.Status
    package var type: String
    package var title: String
    package var detail: String?
    package var errors: [FieldError]
    /// Extra response headers (`Allow`, `WWW-Authenticate`, ...).
    package var headers: HTTPFields

    package init(
        status: HTTPResponse.Status,
        type: String = "about:blank",
        title: String? = nil,
        detail: String? = nil,
        errors: [FieldError] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.type = type
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    static func typeURI(_ slug: String) -> String { "urn:switchboard:problem:\(slug)" }

    package static func badRequest(_ detail: String, errors: [FieldError] = []) -> Problem {
        Problem(status: .badRequest, type: typeURI("invalid-request"), title: "Invalid request", detail: detail, errors: errors)
    }

    package static func validation(_ errors: [FieldError]) -> Problem {
        Problem(
            status: .unprocessableContent, type: typeURI("validation"), title: "Validation failed",
            detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors
        )
    }

    package static func notFound(_ detail: String = "No such resource.") -> Problem {
        Problem(status: .notFound, type: typeURI("not-found"), title: "Not found", detail: detail)
    }

    package static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> Problem {
        let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = allow
        return Problem(
            status: .methodNotAllowed, type: typeURI("method-not-allowed"), title: "Method not allowed",
            detail: "This path supports: \(allow).", headers: headers
        )
    }

    package static func unauthorized(_ detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return Problem(status: .unauthorized, type: typeURI("unauthorized"), title: "Unauthorized", detail: detail, headers: headers)
    }

    package static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: typeURI("forbidden"), title: "Forbidden", detail: detail)
    }

    package static func gone(_ detail: String, type slug: String = "gone") -> Problem {
        Problem(status: .gone, type: typeURI(slug), title: "Gone", detail: detail)
    }

    package static func conflict(_ detail: String, type slug: String = "conflict", errors: [FieldError] = []) -> Problem {
        Problem(status: .conflict, type: typeURI(slug), title: "Conflict", detail: detail, errors: errors)
    }

    /// A well-formed request the server cannot act on, with its own problem type (e.g. no person matched).
    package static func unprocessable(_ detail: String, type slug: String, errors: [FieldError] = []) -> Problem {
        Problem(status: .unprocessableContent, type: typeURI(slug), title: "Unprocessable request", detail: detail, errors: errors)
    }

    package static func serviceUnavailable(_ detail: String) -> Problem {
        Problem(status: .serviceUnavailable, type: typeURI("unavailable"), title: "Service unavailable", detail: detail)
    }

    /// Never carries the cause: that goes to the log under the request id.
    package static let internalError = Problem(
        status: .internalServerError, type: typeURI("internal"), title: "Internal server error",
        detail: "The server failed to handle this request. Quote the request id when reporting it."
    )

    /// The contract's `Problem` schema for this problem, answering the request `requestID` at `instance`.
    func document(requestID: String, instance: String?) -> Components.Schemas.Problem {
        Components.Schemas.Problem(
            _type: type, title: title, status: status.code, detail: detail, instance: instance, requestId: requestID,
            errors: errors.isEmpty ? nil : errors.map { .init(field: $0.field, rule: $0.rule, message: $0.message, line: $0.line) }
        )
    }
}

extension Problem: ProblemReporting {
    public var problem: Problem { self }
}
