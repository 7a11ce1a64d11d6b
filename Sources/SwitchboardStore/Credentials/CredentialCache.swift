import Foundation
import SwitchboardDomain
import Synchronization

/// Principals of recently presented credentials, so a request whose credential was checked
/// moments ago costs no database round trip to check it again.
///
/// Correctness rests on ``CredentialChangeListener``: every change that can end a credential
/// (revocation, suspension, termination, a session's end) is announced by PostgreSQL on
/// `sb_credentials` after it commits, and the listener empties the cache on every replica. While
/// the listener is not connected and listening, the cache holds nothing and serves nothing, so a
/// lost notification can never leave a revoked credential working. Entries also expire after
/// ``lifetime`` (and a session's at its own expiry), which bounds how stale `last_used_at` gets.
///
/// A lookup that raced an announcement must not store what it read before it: callers take a
/// ``ticket()`` before reading the database and ``store(_:for:ticket:)`` is refused if an
/// announcement came in between.
public final class CredentialCache: Sendable {
    public struct Ticket: Sendable { fileprivate let generation: UInt64 }

    private struct Entry {
        var principal: Principal
        var validUntil: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every announcement and by every loss of the listener.
        var generation: UInt64 = 0
        var enabled = false
    }

    private let state = Mutex(State())
    public let lifetime: Duration
    public let capacity: Int

    public init(lifetime: Duration = .seconds(60), capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The principal of a credential resolved within its lifetime, if the cache is live.
    public func principal(for hash: String, now: ContinuousClock.Instant = .now) -> Principal? {
        state.withLock { state in
            guard state.enabled, let entry = state.entries[hash] else { return nil }
            guard entry.validUntil > now else {
                state.entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// Taken before the database is read for a credential.
    public func ticket() -> Ticket {
        state.withLock { Ticket(generation: $0.generation) }
    }

    /// Keeps `principal` for `hash`, unless the cache is not live or something changed since `ticket`.
    /// `expiresAt` (a session's end) shortens the entry's life.
    public func store(_ principal: Principal, for hash: String, expiresAt: Date? = nil, ticket: Ticket) {
        let now = ContinuousClock.now
        var validUntil = now + lifetime
        if let expiresAt {
            let remaining = expiresAt.timeIntervalSinceNow
            guard remaining > 0 else { return }
            validUntil = min(validUntil, now + .milliseconds(Int64(remaining * 1000)))
        }
        state.withLock { state in
            guard state.enabled, state.generation == ticket.generation else { return }
            // A flood of distinct credentials cannot grow memory without bound: start over.
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = Entry(principal: principal, validUntil: validUntil)
        }
    }

    /// A credential changed somewhere: forget everything.
    public func invalidateAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// The listener is listening: entries may be kept from now on.
    func enable() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
            state.enabled = true
        }
    }

    /// The listener lost its connection: announcements may be missed, so keep nothing.
    func disable() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
            state.enabled = false
        }
    }

    public var isLive: Bool { state.withLock { $0.enabled } }
    /// Changes with every announcement (and every loss of the listener): lets a caller see that one was processed.
    public var generation: UInt64 { state.withLock { $0.generation } }
    public var count: Int { state.withLock { $0.entries.count } }
}
