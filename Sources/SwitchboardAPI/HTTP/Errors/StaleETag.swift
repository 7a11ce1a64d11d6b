import HTTPTypes
internal import OpenAPIRuntime

extension Problem {
    /// 412 for an `If-Match` that names an older version; carries the current ETag so the client can
    /// tell what it missed. Handlers answer it through ``Components/Responses/PreconditionFailed`` (the
    /// generated typed header, like every 200's ETag); the header here covers any other path.
    static func staleETag(current: Int) -> Problem {
        var headers = HTTPFields()
        headers[.eTag] = RequestValues.etag(current)
        return Problem(status: .preconditionFailed, type: typeURI("stale-etag"), title: "Precondition failed",
                       detail: "The resource changed since you read it (now at ETag \"\(current)\"). Read it again and retry.",
                       headers: headers)
    }
}

extension Components.Responses.PreconditionFailed {
    /// The typed 412 for a stale-ETag problem, or nil for any other problem.
    init?(_ problem: Problem) {
        guard problem.status == .preconditionFailed, let etag = problem.headers[.eTag] else { return nil }
        self.init(
            headers: .init(eTag: etag),
            body: .applicationProblemJson(.init(
                _type: problem.type, title: problem.title, status: problem.status.code, detail: problem.detail,
                requestId: RequestInfo.current.requestID
            ))
        )
    }
}

extension APIService {
    /// Runs an `If-Match`-guarded change; a stale ETag becomes the operation's typed 412.
    func answeringStaleETag<Output>(
        _ change: () async throws -> Output,
        stale: (Components.Responses.PreconditionFailed) -> Output
    ) async throws -> Output {
        do {
            return try await change()
        } catch let reporting as any ProblemReporting {
            guard let response = Components.Responses.PreconditionFailed(reporting.problem) else { throw reporting }
            return stale(response)
        }
    }
}
