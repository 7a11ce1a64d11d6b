import Foundation

/// How webhooks are delivered: read once from the configuration and shared by the API (which
/// checks a URL at registration) and the delivery job (which checks it again at every attempt).
package struct WebhookSettings: Sendable {
    /// Local trials only: allows plain `http` and loopback addresses (never private, link-local or
    /// other internal ones). Off in production.
    package var allowsLocalTrial: Bool
    /// How often the delivery job looks for due deliveries.
    package var interval: Duration
    /// The wait before the first retry; each further retry waits twice as long, up to `maximumBackoff`.
    package var firstRetry: Duration
    package var maximumBackoff: Duration
    /// Attempts before a delivery is given up (`failed`; a reseller can still redeliver it).
    package var maximumAttempts: Int

    package init(allowsLocalTrial: Bool = false, interval: Duration = .seconds(5), firstRetry: Duration = .seconds(10),
                 maximumBackoff: Duration = .seconds(3600), maximumAttempts: Int = 12) {
        self.allowsLocalTrial = allowsLocalTrial
        self.interval = interval
        self.firstRetry = firstRetry
        self.maximumBackoff = maximumBackoff
        self.maximumAttempts = maximumAttempts
    }

    package var addressPolicy: WebhookAddressPolicy { WebhookAddressPolicy(allowsLoopback: allowsLocalTrial) }

    /// When attempt number `attempt` (1-based) failed, the next one is due this long after it; nil: give up.
    package func backoff(afterAttempt attempt: Int) -> Duration? {
        guard attempt < maximumAttempts else { return nil }
        let factor = 1 << min(attempt - 1, 20)
        return min(firstRetry * factor, maximumBackoff)
    }
}
