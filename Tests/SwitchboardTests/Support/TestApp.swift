import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
@testable import SwitchboardAPI
import SwitchboardJobs
import SwitchboardStore

/// Runs `test` against the application wired to `database`, through Hummingbird's router test client.
func withTestApp<T: Sendable>(
    _ database: TestDatabase,
    mode: TestingSetup = .router,
    maxConnections: Int = 4,
    traffic: TrafficSettings = .init(),
    inventory: InventorySettings = .init(),
    trustedProxies: Set<String> = [],
    loginThrottle: LoginThrottleRule = .init(),
    credentialCache: CredentialCache = .init(),
    hostnameResolver: any TXTRecordResolver = StaticTXTResolver(),
    portal: PortalSettings = .init(),
    keyStore: (any KeyStore)? = nil,
    webhooks: WebhookSettings = .init(),
    _ test: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let client = try database.applicationClient(maxConnections: maxConnections)
    let migrations = try MigrationSet.load(from: TestCluster.migrationsDirectory)
    let keys: any KeyStore = if let keyStore { keyStore } else { try await database.keyStore() }
    let app = try buildApplication(
        AppDependencies(database: client, migrations: migrations, passwords: testPasswordHasher, keyStore: keys, traffic: traffic,
                        inventory: inventory, trustedProxies: trustedProxies, loginThrottle: loginThrottle, credentialCache: credentialCache,
                        hostnameResolver: hostnameResolver, portal: portal, webhooks: webhooks),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        logger: TestCluster.logger
    )
    return try await app.test(mode, test)
}

/// bcrypt at its minimum cost: the tests exercise the flow, not the work factor.
let testPasswordHasher = PasswordHasher(cost: 4)

extension TestResponse {
    /// The body decoded as a JSON object.
    var json: [String: Any] {
        get throws {
            let object = try JSONSerialization.jsonObject(with: Data(buffer: body))
            guard let dictionary = object as? [String: Any] else { throw TestFailure("body is not a JSON object: \(String(buffer: body))") }
            return dictionary
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
