@testable import SwitchboardAPI
import Synchronization

/// DNS TXT answers from a table the test fills, so hostname verification runs without a network.
final class StaticTXTResolver: TXTRecordResolver {
    private let records = Mutex<[String: [String]]>([:])
    private let lookups = Mutex<[String]>([])

    func publish(_ value: String, at name: String) {
        records.withLock { $0[name, default: []].append(value) }
    }

    /// The names asked for, in order.
    var askedFor: [String] { lookups.withLock { $0 } }

    func txtRecords(named name: String) async throws -> [String] {
        lookups.withLock { $0.append(name) }
        return records.withLock { $0[name] ?? [] }
    }
}
