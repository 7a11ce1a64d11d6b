internal import Foundation
import HTTPTypes
import Hummingbird

/// The one way an error becomes a response: it says its own problem document (RFC 9457, the
/// contract's `Problem` schema). Domain and store errors conform where they are mapped
/// (`StoreError+ProblemReporting.swift`, ...); ``ErrorResponder`` turns any of them into the
/// response. As a Hummingbird `HTTPResponseError`, a conforming error renders correctly even
/// where it escapes that middleware.
public protocol ProblemReporting: HTTPResponseError {
    var problem: Problem { get }
}

extension ProblemReporting {
    public var status: HTTPResponse.Status { problem.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let requestID = (context as? AppRequestContext)?.requestID ?? ""
        return problem.response(requestID: requestID, instance: request.uri.path)
    }
}

extension Problem {
    /// Compact, with stable key order, and slashes unescaped (`instance` is a path).
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func response(requestID: String, instance: String) -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body = (try? Self.encoder.encode(document(requestID: requestID, instance: instance)))
            ?? Data(#"{"status":500,"title":"Internal server error","type":"about:blank"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
