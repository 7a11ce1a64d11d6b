import Foundation
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardDomain
@testable import SwitchboardStore
import XCTest

/// Credentials are served from each replica's cache, and every change that ends one reaches every
/// replica at once: two applications on one database, each with its own cache, stand for two replicas.
final class CredentialCacheTests: XCTestCase {
    /// Until both replicas' listeners are in place, no cache serves anything.
    private static func waitUntilLive(_ caches: CredentialCache..., file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !caches.allSatisfy(\.isLive) {
            guard ContinuousClock.now < deadline else { return XCTFail("the credential-change listener never started", file: file, line: line) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Polls `replica` with `token` until it answers 401; returns how long that took after the change.
    private static func timeUntilRefused(_ replica: any TestClientProtocol, token: String, changedAt: ContinuousClock.Instant) async throws -> Duration? {
        let deadline = changedAt + .seconds(2)
        while ContinuousClock.now < deadline {
            let status = try await replica.call(.get, "/v1/me", token: token).status
            if status == .unauthorized { return ContinuousClock.now - changedAt }
            XCTAssertEqual(status, .ok)
            try await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    /// Two applications on one fresh database, each with its own cache, listening; the world seeded through the first.
    private static func withTwoReplicas(
        _ test: @Sendable (TestDatabase, any TestClientProtocol, any TestClientProtocol, CredentialCache, CredentialCache, World) async throws -> Void
    ) async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let cacheA = CredentialCache(), cacheB = CredentialCache()
        try await withTestApp(database, credentialCache: cacheA) { replicaA in
            try await withTestApp(database, credentialCache: cacheB) { replicaB in
                let world = try await World.build(replicaA, database: database)
                try await waitUntilLive(cacheA, cacheB)
                try await test(database, replicaA, replicaB, cacheA, cacheB, world)
            }
        }
    }

    func testARevokedKeyFailsOnEveryReplicaWithinMilliseconds() async throws {
        try await Self.withTwoReplicas { database, replicaA, replicaB, cacheA, cacheB, world in
                let created = try await replicaA.call(.post, "/v1/api-keys", token: world.resellerAKey, json: #"{"name":"cached"}"#)
                XCTAssertEqual(created.status, .created, created.body)
                let key = try created.string("secret"), keyID = try created.string("id")

                // Both replicas resolve it once and then keep it: a second request costs no lookup.
                for replica in [replicaA, replicaB] {
                    for _ in 0..<2 {
                        let status1 = try await replica.call(.get, "/v1/me", token: key).status
                        XCTAssertEqual(status1, .ok)
                    }
                }
                XCTAssertNotNil(cacheB.principal(for: Credentials.hash(key)), "replica B serves the key from its cache")

                let revoked = try await replicaA.call(.delete, "/v1/api-keys/\(keyID)", token: world.resellerAKey)
                XCTAssertEqual(revoked.status, .noContent, revoked.body)
                let changedAt = ContinuousClock.now
                // The replica that revoked it refuses it on the next request.
                let status2 = try await replicaA.call(.get, "/v1/me", token: key).status
                XCTAssertEqual(status2, .unauthorized)
                let delay = try await Self.timeUntilRefused(replicaB, token: key, changedAt: changedAt)
                let measured = try XCTUnwrap(delay, "replica B still accepted the revoked key 2 s later")
                print("revoked key refused by the other replica after \(measured)")
                XCTAssertLessThan(measured, .milliseconds(500))
                XCTAssertNil(cacheB.principal(for: Credentials.hash(key)))
        }
    }

    /// Changes made outside the server (an operator in psql) reach the caches too: suspending a
    /// reseller and ending a manager's session in raw SQL.
    func testSuspensionAndSessionEndsInRawSQLReachEveryReplica() async throws {
        try await Self.withTwoReplicas { database, replicaA, replicaB, cacheA, cacheB, world in
                for replica in [replicaA, replicaB] {
                    let status3 = try await replica.call(.get, "/v1/customers", token: world.resellerBKey).status
                    XCTAssertEqual(status3, .ok)
                    let status4 = try await replica.call(.get, "/v1/me", token: world.managerA2Token).status
                    XCTAssertEqual(status4, .ok)
                }

                var changedAt = ContinuousClock.now
                _ = try await database.withAdmin { connection in
                    try await connection.query("UPDATE sb.resellers SET status = 'suspended' WHERE id = \(UUID(uuidString: world.resellerB)!)", logger: TestCluster.logger)
                }
                for replica in [replicaA, replicaB] {
                    let delay = try await Self.timeUntilRefused(replica, token: world.resellerBKey, changedAt: changedAt)
                    XCTAssertNotNil(delay, "a suspended reseller's key still worked")
                }

                changedAt = ContinuousClock.now
                _ = try await database.withAdmin { connection in
                    try await connection.query("UPDATE sb.sessions SET revoked_at = now() WHERE customer_id = \(UUID(uuidString: world.customerA2)!)", logger: TestCluster.logger)
                }
                for replica in [replicaA, replicaB] {
                    let delay = try await Self.timeUntilRefused(replica, token: world.managerA2Token, changedAt: changedAt)
                    XCTAssertNotNil(delay, "an ended session still worked")
                }
                // Others are untouched.
                let status5 = try await replicaB.call(.get, "/v1/me", token: world.resellerAKey).status
                XCTAssertEqual(status5, .ok)
                let status6 = try await replicaB.call(.get, "/v1/me", token: world.managerA1Token).status
                XCTAssertEqual(status6, .ok)
        }
    }

    func testTheCacheServesNothingWhileNotListeningAndNeverStoresWhatARaceMadeStale() {
        let cache = CredentialCache()
        let principal = Principal.resellerKey(UUID(), reseller: UUID())
        cache.store(principal, for: "h", ticket: cache.ticket())
        XCTAssertNil(cache.principal(for: "h"), "kept before the listener listens")

        cache.enable()
        cache.store(principal, for: "h", ticket: cache.ticket())
        XCTAssertEqual(cache.principal(for: "h"), principal)

        // A lookup that began before an announcement must not store what it read.
        let before = cache.ticket()
        cache.invalidateAll()
        XCTAssertNil(cache.principal(for: "h"))
        cache.store(principal, for: "h", ticket: before)
        XCTAssertNil(cache.principal(for: "h"), "a lookup older than the announcement was kept")

        cache.store(principal, for: "h", ticket: cache.ticket())
        cache.disable()
        XCTAssertNil(cache.principal(for: "h"), "served while the listener was down")

        // Entries end with their lifetime, and a session's with the session.
        cache.enable()
        cache.store(principal, for: "s", expiresAt: Date().addingTimeInterval(-1), ticket: cache.ticket())
        XCTAssertNil(cache.principal(for: "s"), "an expired session was kept")
        cache.store(principal, for: "k", ticket: cache.ticket())
        XCTAssertNil(cache.principal(for: "k", now: .now + cache.lifetime + .seconds(1)), "kept past its lifetime")

        // A flood of distinct credentials cannot grow it past its capacity.
        let small = CredentialCache(capacity: 2)
        small.enable()
        for hash in ["a", "b", "c"] { small.store(principal, for: hash, ticket: small.ticket()) }
        XCTAssertLessThanOrEqual(small.count, 2)
        XCTAssertEqual(small.principal(for: "c"), principal, "the newest credential is kept")
    }

    /// The listener losing its connection turns the cache off at once, and it comes back by itself.
    func testLosingTheListenerConnectionTurnsTheCacheOffUntilItIsBack() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let cache = CredentialCache()
        try await withTestApp(database, credentialCache: cache) { client in
            let world = try await World.build(client, database: database)
            try await Self.waitUntilLive(cache)
            let status7 = try await client.call(.get, "/v1/me", token: world.resellerAKey).status
            XCTAssertEqual(status7, .ok)
            XCTAssertGreaterThan(cache.count, 0)
            _ = try await database.withAdmin { connection in
                try await connection.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = \("SELECT " + CredentialChangeListener.readyMarker)",
                    logger: TestCluster.logger
                )
            }
            let deadline = ContinuousClock.now + .seconds(5)
            var sawOff = false
            while ContinuousClock.now < deadline {
                if !cache.isLive { sawOff = true }
                if sawOff && cache.isLive { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            XCTAssertTrue(sawOff, "the cache stayed on after its listener's connection was killed")
            XCTAssertTrue(cache.isLive, "the listener did not come back")
            let status8 = try await client.call(.get, "/v1/me", token: world.resellerAKey).status
            XCTAssertEqual(status8, .ok)
        }
    }
}
