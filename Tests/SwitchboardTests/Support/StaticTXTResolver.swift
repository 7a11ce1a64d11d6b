@testable import SwitchboardAPI
import Synchronization

/// DNS TXT answers from a table the test fills, so hostname verification runs without a network.
final class StaticTXTResolver: TXTRecordResolver {
    private let records = Mutex<[String: [String]]>([:])
    private let lookups = Mutex<[String]>([])
    /// When set, every lookup fails as if no nameserver answered.
    private let failure = Mutex<(any Error)?>(nil)

    func failEveryLookup(with error: any Error) {
        failure.withLock { $0 = error }
    }

    func publish(_ value: String, at name: String) {
        records.withLock { $0[name, default: []].append(value) }
    }

    /// The names asked for, in order.
    var askedFor: [String] { lookups.withLock { $0 } }

    func txtRecords(named name: String) async throws -> [String] {
        lookups.withLock { $0.append(name) }
        if let error = failure.withLock({ $0 }) { throw error }
        return records.withLock { $0[name] ?? [] }
    }
}
