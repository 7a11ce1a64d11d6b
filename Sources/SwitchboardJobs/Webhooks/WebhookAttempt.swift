/// How one delivery attempt ended. Only `.delivered` means the receiver took the event; the caller
/// decides from the other cases whether to retry (a `.refused` address will not become public by
/// retrying, a `.failed` or 5xx `.rejected` might succeed later).
package enum WebhookAttempt: Sendable, Equatable {
    /// The receiver answered 2xx.
    case delivered(status: Int)
    /// The receiver answered with any other final status, 3xx included: redirects are never
    /// followed, since their target would escape the address check.
    case rejected(status: Int)
    /// Not attempted: the host resolved to no address, or to an address the policy refuses.
    case refused(reason: String)
    /// Attempted without a status: DNS, connect, TLS, timeout or a malformed response.
    case failed(reason: String)
}
