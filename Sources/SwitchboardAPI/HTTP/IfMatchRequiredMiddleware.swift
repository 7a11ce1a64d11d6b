internal import Foundation
import HTTPTypes
internal import OpenAPIRuntime

/// Answers 428 to a change of an ETag-carrying resource that does not say which version it read.
/// Runs before the generated decoding, which would otherwise answer a missing required `If-Match`
/// with a plain 400; `*` is refused too, since "any version" is exactly the silent overwrite.
struct IfMatchRequiredMiddleware: ServerMiddleware {
    /// Every operation whose contract declares the required `If-Match` parameter
    /// (`ContractPreconditionTests` keeps this list and `openapi.yaml` in step).
    static let operations: Set<String> = ["updateReseller", "updateCustomer", "updateEmployee"]

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if Self.operations.contains(operationID) {
            let value = request.headerFields[.ifMatch]?.trimmingCharacters(in: .whitespaces) ?? ""
            if value.isEmpty || value == "*" {
                throw Problem.preconditionRequired
            }
        }
        return try await next(request, body, metadata)
    }
}

extension Problem {
    static let preconditionRequired = Problem(
        status: .preconditionRequired, type: typeURI("precondition-required"), title: "Precondition required",
        detail: "Send If-Match with the ETag you read (GET the resource first), so this change cannot overwrite one you have not seen.",
        errors: [.init(field: "If-Match", rule: "required", message: "must be the ETag you read")]
    )
}
