import HTTPTypes

extension Problem {
    /// 429 for a login attempt inside a backoff window; the same for known and unknown e-mails.
    static func loginThrottled(retryAfterSeconds: Int) -> Problem {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return Problem(
            status: .tooManyRequests, type: typeURI("login-throttled"), title: "Too many login attempts",
            detail: "Too many failed logins from this address or for this account; retry after \(retryAfterSeconds) s.", headers: headers
        )
    }
}
