import Foundation

/// Starts child processes from one thread that lives as long as this process.
///
/// Linux sends a child its parent-death signal (`setpriv --pdeathsig`, see ``ChildProcess``) when the
/// *thread* that spawned it ends, not the process. Swift's task threads come and go (Dispatch retires
/// idle workers), so a PostgreSQL spawned from one could be told to shut down while the server still
/// runs. Spawning from this one permanent thread ties the signal to the process's own death.
final class ProcessSpawner: @unchecked Sendable {
    static let shared = ProcessSpawner()

    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in self.serve() }
        thread.name = "switchboard-process-spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            pending.append { continuation.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }

    private func serve() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let next = pending.removeFirst()
            condition.unlock()
            next()
        }
    }
}
