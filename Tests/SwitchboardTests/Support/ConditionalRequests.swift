import HTTPTypes
import HummingbirdTesting

/// Changes as a careful client makes them: read the ETag, send it back in `If-Match`
/// (which every PATCH of an ETag-carrying resource requires).
extension TestClientProtocol {
    /// The ETag `token` reads at `uri`, as it arrived (the value a client sends back).
    func currentETag(_ uri: String, token: String) async throws -> String {
        let reply = try await call(.get, uri, token: token)
        guard reply.status == .ok, let etag = reply.headers[.eTag] else {
            throw TestFailure("no ETag at \(uri): \(reply.status.code) \(reply.body)")
        }
        return etag
    }

    /// A PATCH with the ETag just read (by `reader`, default the same credential) in `If-Match`.
    func patchReadingETag(_ uri: String, token: String, json: String, reader: String? = nil) async throws -> Reply {
        let etag = try await currentETag(uri, token: reader ?? token)
        return try await call(.patch, uri, token: token, json: json, headers: [.ifMatch: etag])
    }
}
