import Foundation
import Logging
import ServiceLifecycle
import SwitchboardDomain
import SwitchboardStore

/// Sends the outbox to resellers' endpoints: every `interval`, on whichever replica holds the
/// delivery lock. Each round announces cases coming due, sends due deliveries (at most
/// `concurrency` at a time, each signed with the subscription's HMAC secret), records every
/// attempt, retries with exponential backoff, and expires the delivery log.
///
/// Delivery is at least once: a replica that dies after sending but before recording leaves the
/// delivery to be sent again when its lease ends, so receivers deduplicate on `Switchboard-Delivery`.
public struct WebhookDeliveryJob: Service {
    let queue: WebhookDeliveryQueue
    let sender: WebhookSender
    let keys: any KeyStore
    let settings: WebhookSettings
    let logger: Logger
    let clock: @Sendable () -> Date
    static let batchSize = 32
    /// Sends are waits on the network, not work: many at once keep a few slow endpoints (each cut
    /// off at 10 s) from holding the round up.
    static let concurrency = 16
    /// Longer than an attempt's deadline, so a lease never ends while its attempt runs.
    static let lease = Duration.seconds(60)

    package init(queue: WebhookDeliveryQueue, sender: WebhookSender, keys: any KeyStore, settings: WebhookSettings, logger: Logger,
                 clock: @escaping @Sendable () -> Date = { Date() }) {
        self.queue = queue
        self.sender = sender
        self.keys = keys
        self.settings = settings
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await runOnce()
                try? await Task.sleep(for: settings.interval)
            }
        }
    }

    /// What one round did; nil when another replica holds the lock or the round failed (logged).
    package struct Round: Sendable, Equatable {
        package var announced = 0
        package var delivered = 0
        package var retrying = 0
        package var failed = 0
        package var expired = 0
    }

    package func runOnce() async -> Round? {
        do {
            let round = try await queue.whileLeading(logger: logger) { try await deliverDue() }
            if let round, round != Round() {
                logger.info("webhook deliveries", metadata: [
                    "announced": "\(round.announced)", "delivered": "\(round.delivered)", "retrying": "\(round.retrying)",
                    "failed": "\(round.failed)", "expired": "\(round.expired)",
                ])
            }
            return round
        } catch is CancellationError {
            return nil
        } catch {
            // Nothing is lost: deliveries stay in the outbox and their leases end; the next round retries.
            logger.error("webhook delivery round failed; retrying at the next interval", metadata: ["error": "\(PostgresErrorDescription.describe(error))"])
            return nil
        }
    }

    private func deliverDue() async throws -> Round {
        var round = Round()
        round.announced = try await queue.announceDueRequests(clock: clock(), logger: logger)
        while !Task.isCancelled {
            let claimed = try await queue.claim(clock: clock(), lease: Self.lease, limit: Self.batchSize, logger: logger)
            let outcomes = await withTaskGroup(of: Outcome.self) { group in
                var results: [Outcome] = []
                var running = 0
                for next in claimed {
                    if running == Self.concurrency, let done = await group.next() {
                        results.append(done)
                        running -= 1
                    }
                    group.addTask { await attempt(next) }
                    running += 1
                }
                for await done in group { results.append(done) }
                return results
            }
            for outcome in outcomes {
                switch outcome {
                case .delivered: round.delivered += 1
                case .retrying: round.retrying += 1
                case .failed: round.failed += 1
                }
            }
            if claimed.count < Self.batchSize { break }
        }
        round.expired = try await queue.expireDeliveries(clock: clock(), keepDays: RetentionPeriod.webhookDeliveryDays, logger: logger)
        return round
    }

    private enum Outcome: Sendable { case delivered, retrying, failed }

    private func attempt(_ delivery: WebhookDeliveryQueue.Claimed) async -> Outcome {
        let result: WebhookAttempt
        do {
            let url = try WebhookURL(validating: delivery.url, allowsPlainHTTP: settings.allowsLocalTrial)
            let secret = try await WebhookSecret.secret(for: delivery.subscriptionID, in: keys)
            let body = Array(delivery.body.utf8)
            result = await sender.send(to: url, body: body, headers: [
                (WebhookSignature.headerName, WebhookSignature.header(body: body, secret: secret, at: clock())),
                ("Switchboard-Event", delivery.eventType),
                ("Switchboard-Delivery", delivery.id.uuidString.lowercased()),
                ("Switchboard-Attempt", String(delivery.attempt)),
            ])
        } catch let refusal as WebhookURLRefusal {
            result = .refused(reason: refusal.message)
        } catch {
            result = .failed(reason: "the subscription's secret is not available")
        }
        let now = clock()
        let status: Int?, failure: String?
        switch result {
        case .delivered(let code): status = code; failure = nil
        case .rejected(let code): status = code; failure = "answered \(code)"
        case .refused(let reason): status = nil; failure = "refused: \(reason)"
        case .failed(let reason): status = nil; failure = reason
        }
        let delivered = if case .delivered = result { true } else { false }
        let retryAt = delivered ? nil : settings.backoff(afterAttempt: delivery.attempt).map { now.addingTimeInterval(Double($0.components.seconds)) }
        do {
            try await queue.record(delivery, clock: now, delivered: delivered, status: status, failure: failure, retryAt: retryAt, logger: logger)
        } catch {
            logger.warning("a webhook attempt could not be recorded; it is retried when its lease ends",
                           metadata: ["delivery": "\(delivery.id)", "error": "\(PostgresErrorDescription.describe(error))"])
        }
        if delivered { return .delivered }
        logger.notice("webhook attempt failed", metadata: [
            "delivery": "\(delivery.id)", "reseller": "\(delivery.resellerID)", "attempt": "\(delivery.attempt)", "reason": "\(failure ?? "")",
            "retry": "\(retryAt.map { "\($0)" } ?? "given up")",
        ])
        return retryAt == nil ? .failed : .retrying
    }
}
