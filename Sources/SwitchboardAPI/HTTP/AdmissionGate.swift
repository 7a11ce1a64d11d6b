/// Bounds how many CDR batches stream into PostgreSQL at once (``TrafficSettings/concurrentBatches``).
/// Admits at most `limit` callers at once; the rest wait their turn in order.
package actor AdmissionGate {
    private let limit: Int
    private var admitted = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    package init(limit: Int) {
        self.limit = max(1, limit)
    }

    package func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if admitted < limit {
            admitted += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            admitted -= 1
        } else {
            // The permit passes straight to the next in line.
            waiting.removeFirst().resume()
        }
    }
}
