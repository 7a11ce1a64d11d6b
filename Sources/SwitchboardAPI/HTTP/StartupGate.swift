import Synchronization

/// Whether the server's start-up work (the first admin key on an empty database) is done: until
/// then `/ready` answers 503, so nothing that waits for readiness meets a 401 for the bootstrap key.
package final class StartupGate: Sendable {
    private let done: Mutex<Bool>

    package init(open: Bool) {
        done = Mutex(open)
    }

    /// Already done: applications without start-up work (tests, benchmarks).
    package static var open: StartupGate { StartupGate(open: true) }

    package var isOpen: Bool { done.withLock { $0 } }

    package func markDone() {
        done.withLock { $0 = true }
    }
}
