import Foundation
import Logging
import ServiceLifecycle
import SwitchboardStore

/// The server's retention schedule: ticks at start and then every `interval` until shutdown.
/// Every replica ticks; the rules run once per interval across all of them (the database's
/// advisory lock and the record of the last scheduled run decide), and the others log that they skipped.
public struct RetentionJob: Service {
    let runner: RetentionRunner
    let interval: Duration
    let logger: Logger
    /// Metrics hook: each run's outcome and duration. Nil records nothing.
    let observer: (any RetentionObserver)?
    /// The other scheduled duty, run at every tick on every replica (it needs no leader; see its type).
    let anonymiser: ScheduledAnonymiser?

    public init(runner: RetentionRunner, interval: Duration, logger: Logger, observer: (any RetentionObserver)? = nil, anonymiser: ScheduledAnonymiser? = nil) {
        self.runner = runner
        self.anonymiser = anonymiser
        self.interval = interval
        self.logger = logger
        self.observer = observer
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func runOnce() async {
        await runRetention()
        await runScheduledAnonymisations()
    }

    func runScheduledAnonymisations() async {
        guard let anonymiser else { return }
        do {
            let outcome = try await anonymiser.run(clock: Date(), logger: logger)
            if !outcome.anonymised.isEmpty || outcome.failed > 0 {
                logger.notice("scheduled anonymisations", metadata: [
                    "anonymised": "\(outcome.anonymised.count)", "skipped": "\(outcome.skipped)", "failed": "\(outcome.failed)",
                ])
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("scheduled anonymisations could not be listed; retrying at the next interval",
                         metadata: ["error": "\(PostgresErrorDescription.describe(error))"])
        }
    }

    func runRetention() async {
        let started = ContinuousClock.now
        do {
            switch try await runner.runIfDue(every: interval, clock: Date(), logger: logger) {
            case .notLeader:
                logger.info("retention: another replica holds the retention lock; skipped")
                observer?.retentionRan(.skippedNotLeader, elapsed: .now - started)
            case .notDue:
                logger.info("retention: a replica ran it within the interval; skipped")
                observer?.retentionRan(.skippedNotDue, elapsed: .now - started)
            case .ran(let run):
                logger.notice("retention run", metadata: RetentionReport.metadata(run))
                observer?.retentionRan(.ok, elapsed: .now - started)
            }
        } catch is CancellationError {
            return
        } catch {
            // A failed run changes nothing (one transaction); the next tick tries again.
            logger.error("retention run failed; retrying at the next interval", metadata: ["error": "\(PostgresErrorDescription.describe(error))"])
            observer?.retentionRan(.failed, elapsed: .now - started)
        }
    }
}

/// How a retention run is shown to an operator, in logs and on the command line.
public enum RetentionReport {
    public static func metadata(_ run: RetentionRun) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "run": "\(run.id)", "dry_run": "\(run.dryRun)",
            "created": "\(run.createdPartitions.joined(separator: ","))", "dropped": "\(run.droppedPartitions.joined(separator: ","))",
            "ms": "\(milliseconds(run.elapsed))", "drop_ms": "\(milliseconds(run.dropElapsed))",
        ]
        for rule in run.rules where rule.affected > 0 || rule.note != nil {
            metadata[rule.rule] = "\(rule.affected)"
        }
        return metadata
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    public static func text(_ run: RetentionRun) -> String {
        let verb = run.dryRun ? "would" : "did"
        let clock = ISO8601DateFormatter().string(from: run.clock)
        var lines = [
            "retention run \(run.id)\(run.dryRun ? " (dry run, nothing changed)" : "") judged by clock \(clock):",
            "  \(verb) create partitions: \(run.createdPartitions.isEmpty ? "none" : run.createdPartitions.joined(separator: ", "))",
            "  \(verb) drop partitions:   \(run.droppedPartitions.isEmpty ? "none" : run.droppedPartitions.joined(separator: ", ")) (about \(run.droppedRowsEstimate) rows)",
            "  rule                      rows/items  resellers  ms",
        ]
        for rule in run.rules {
            let name = rule.rule.padding(toLength: 24, withPad: " ", startingAt: 0)
            let count = String(rule.affected).leftPadded(to: 11)
            let tenants = String(rule.perReseller.count).leftPadded(to: 10)
            let ms = String(milliseconds(rule.elapsed)).leftPadded(to: 5)
            lines.append("  \(name)\(count)\(tenants)\(ms)\(rule.note.map { "  \($0)" } ?? "")")
        }
        lines.append("  took \(milliseconds(run.elapsed)) ms\(run.dryRun ? "" : ", of which \(milliseconds(run.dropElapsed)) ms to drop the detached months' files")")
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
