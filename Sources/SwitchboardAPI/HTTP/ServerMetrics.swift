import HTTPTypes
import Prometheus
import SwitchboardJobs
import SwitchboardStore

/// One application's metrics: its own Prometheus registry and the typed handles the components
/// record into, served by `GET /metrics`.
///
/// Each application gets its own (through ``AppDependencies``) rather than swift-metrics' global
/// `MetricsSystem.bootstrap`, which a process may call once: tests build many applications in one
/// process, and each must count only its own requests.
///
/// Labels never carry personal data or tenant names: only route templates (never a raw path,
/// which holds ids), methods from a fixed list, status codes, and fixed reason words. Every metric
/// name is listed, with its labels, in the README's "Metrics" section.
package final class ServerMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry

    static let namespace = "switchboard"
    /// The route label of a request no operation matched (404, a 405 fallback, a body refused before routing).
    static let unmatchedRoute = "unmatched"

    /// From 5 ms, the fastest database-backed request, to 30 s, past the default transaction limit.
    static let requestBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map(ServerMetrics.seconds)
    /// A connection normally comes at once; the default wait gives up at 5 s.
    static let connectionWaitBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map(ServerMetrics.seconds)

    private let connectionsLeased: Gauge
    private let connectionWait: DurationHistogram
    private let unavailable: [String: Counter]
    private let cdrRecords: Counter
    private let cdrUnknownNumbers: Counter
    private let telemetryEvents: Counter
    private let retentionRuns: [RetentionOutcome: Counter]
    private let retentionLastDuration: Gauge
    private let loginFailures: [LoginFailure: Counter]

    /// Why a login was refused. Unknown e-mail, wrong password and inactive company are one
    /// reason, as they are one answer: a finer label would tell a scraper which accounts exist.
    package enum LoginFailure: String, Sendable, CaseIterable {
        case wrongCredentials = "wrong-credentials"
        case throttled
    }

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        connectionsLeased = registry.makeGauge(descriptor: Self.name(
            "db_connections_leased", unit: "", help: "Pooled database connections currently leased by transactions."))
        connectionWait = registry.makeDurationHistogram(descriptor: Self.name(
            "db_connection_wait", unit: "seconds", help: "Time a transaction waited for a pooled database connection (transactions that got one)."),
            buckets: Self.connectionWaitBuckets)
        let unavailableName = Self.name("db_transactions_unavailable", unit: "total",
                                        help: "Transactions that gave up and answered 503, by cause.")
        unavailable = Dictionary(uniqueKeysWithValues: Self.unavailableCauses.map { cause in
            (cause, registry.makeCounter(descriptor: unavailableName, labels: [("cause", cause)]))
        })
        cdrRecords = registry.makeCounter(descriptor: Self.name(
            "cdr_records_ingested", unit: "total", help: "Call detail records stored by CDR batches (replays of a stored batch not counted again)."))
        cdrUnknownNumbers = registry.makeCounter(descriptor: Self.name(
            "cdr_unknown_number_records", unit: "total", help: "Stored call detail records whose number no customer held at the call's time."))
        telemetryEvents = registry.makeCounter(descriptor: Self.name(
            "telemetry_events_ingested", unit: "total", help: "Telemetry events stored by telemetry batches (replays not counted again)."))
        let runsName = Self.name("retention_runs", unit: "total", help: "Scheduled retention runs of this replica, by outcome.")
        retentionRuns = Dictionary(uniqueKeysWithValues: RetentionOutcome.allCases.map { outcome in
            (outcome, registry.makeCounter(descriptor: runsName, labels: [("outcome", outcome.rawValue)]))
        })
        retentionLastDuration = registry.makeGauge(descriptor: Self.name(
            "retention_last_run_duration", unit: "seconds", help: "How long this replica's last scheduled retention run took (any outcome)."))
        let loginName = Self.name("login_failures", unit: "total", help: "Refused logins (POST /v1/sessions), by reason.")
        loginFailures = Dictionary(uniqueKeysWithValues: LoginFailure.allCases.map { reason in
            (reason, registry.makeCounter(descriptor: loginName, labels: [("reason", reason.rawValue)]))
        })
    }

    // MARK: HTTP

    /// One answered request. `route` is the operation's method and path template as the transport
    /// registered it (``OperationAccess/key(_:_:)``), or nil when no operation matched.
    func requestAnswered(route: String?, method: HTTPRequest.Method, status: HTTPResponse.Status, elapsed: Duration) {
        let labels = [("route", Self.pathTemplate(of: route)), ("method", Self.methodLabel(method)), ("status", String(status.code))]
        registry.makeCounter(descriptor: Self.requestsName, labels: labels).increment()
        registry.makeDurationHistogram(descriptor: Self.requestDurationName, labels: labels, buckets: Self.requestBuckets).record(elapsed)
    }

    static var requestsName: MetricNameDescriptor {
        name("http_requests", unit: "total", help: "Answered HTTP requests, by route template, method and status.")
    }
    static var requestDurationName: MetricNameDescriptor {
        name("http_request_duration", unit: "seconds", help: "Time from a request's arrival to its response head, by route template, method and status.")
    }

    /// The template part of a route key ("GET /v1/customers/{customerId}"): the method has its own label.
    static func pathTemplate(of route: String?) -> String {
        guard let route, let space = route.firstIndex(of: " ") else { return unmatchedRoute }
        return String(route[route.index(after: space)...])
    }

    /// A client may send any token as a method; only the ones HTTP defines become label values.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options, .trace, .connect: method.rawValue
        default: "other"
        }
    }

    // MARK: traffic and logins

    func batchStored(_ outcome: BatchOutcome, kind: BatchKind) {
        guard !outcome.replayed else { return }
        switch kind {
        case .cdr:
            cdrRecords.increment(by: Int64(outcome.records))
            cdrUnknownNumbers.increment(by: Int64(outcome.unknownNumbers))
        case .telemetry:
            telemetryEvents.increment(by: Int64(outcome.records))
        }
    }

    enum BatchKind { case cdr, telemetry }

    func loginFailed(_ reason: LoginFailure) {
        loginFailures[reason]?.increment()
    }

    // MARK: helpers

    /// The causes of ``DatabaseUnavailable`` as label values, all listed so each starts at zero.
    static let unavailableCauses = ["no-connection", "connect-failed", "connection-lost", "statement-timeout", "overran"]

    static func causeLabel(_ cause: DatabaseUnavailable.Cause) -> String {
        switch cause {
        case .noConnection: "no-connection"
        case .connectFailed: "connect-failed"
        case .connectionLost: "connection-lost"
        case .statementTimeout: "statement-timeout"
        case .overran: "overran"
        }
    }

    static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: metric, unitName: unit, helpText: help)
    }

    static func seconds(_ value: Double) -> Duration {
        .nanoseconds(Int64((value * 1e9).rounded()))
    }
}

extension ServerMetrics: DatabasePoolObserver {
    package func connectionLeased(afterWaiting waited: Duration) {
        connectionsLeased.increment()
        connectionWait.record(waited)
    }

    package func connectionReturned() {
        connectionsLeased.decrement()
    }

    package func transactionGaveUp(_ cause: DatabaseUnavailable.Cause) {
        unavailable[Self.causeLabel(cause)]?.increment()
    }
}

extension ServerMetrics: RetentionObserver {
    package func retentionRan(_ outcome: RetentionOutcome, elapsed: Duration) {
        retentionRuns[outcome]?.increment()
        // A skipped run only asked for the lock or the last run: its duration says nothing about retention.
        if outcome != .skippedNotLeader && outcome != .skippedNotDue {
            retentionLastDuration.set(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }
}
