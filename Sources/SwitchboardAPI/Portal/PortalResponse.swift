import HTTPTypes
import Hummingbird
import NIOCore


/// How every portal response is made: HTML with the security headers, redirects, downloads.
enum PortalResponse {
    /// No script at all (the portal works without JavaScript), styles and images from itself,
    /// forms posting only to itself, and no framing by anyone.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        secure(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// 303: after a form, the browser fetches the target with GET (no resubmission on reload).
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        secure(&headers)
        return Response(status: .seeOther, headers: headers)
    }

    static func download(_ bytes: ByteBuffer, contentType: String, filename: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        secure(&headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
    }

    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "same-origin"
        // Personal data: no cache keeps any of it (style sheet and logo set their own).
        headers[.cacheControl] = "no-store"
    }

    /// The status an error stands for on a page (the API's problem statuses, Hummingbird's errors).
    static func status(of error: any Error) -> HTTPResponse.Status {
        if let failure = RequestStreamFailure.problem(for: error) { return failure.status }
        return switch error {
        case let reporting as any ProblemReporting: reporting.status
        case let http as HTTPError: http.status
        default: .internalServerError
        }
    }

    static func messageKey(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "error_bad_request"
        case 403: "error_forbidden"
        case 404: "error_not_found"
        case 409: "error_conflict"
        case 413: "error_too_large"
        case 429: "error_throttled"
        case 503: "error_unavailable"
        default: "error_generic"
        }
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
