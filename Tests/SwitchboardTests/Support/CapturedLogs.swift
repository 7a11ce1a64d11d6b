import Logging
import Synchronization

/// A logger whose records a test can read back and count (what an operator would see; the
/// server's "logged once per outage" promises).
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        /// The message followed by its metadata as `key=value`, sorted by key.
        let rendered: String
    }

    private let records = Mutex<[Record]>([])

    var logger: Logger {
        var logger = Logger(label: "captured") { _ in Handler(sink: self) }
        logger.logLevel = .info
        return logger
    }

    var messages: [String] { records.withLock { $0.map(\.rendered) } }

    func count(_ level: Logger.Level, containing text: String) -> Int {
        records.withLock { $0.filter { $0.level == level && $0.message.contains(text) }.count }
    }

    fileprivate func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.append(Record(level: event.level, message: "\(event.message)", rendered: "\(event.message) \(fields)"))
        }
    }
}
