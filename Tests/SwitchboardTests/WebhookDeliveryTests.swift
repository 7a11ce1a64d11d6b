import Foundation
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import SwitchboardJobs
import SwitchboardStore
import XCTest

/// Webhooks end to end: events written with what they report, sent by the delivery job, signed,
/// retried after an outage with backoff, never to another reseller, and never to an internal address.
final class WebhookDeliveryTests: XCTestCase {
    private struct AlwaysAnswers: WebhookResolver {
        let address: SocketAddress
        func addresses(host: String, port: Int) async throws -> [SocketAddress] { [address] }
    }

    /// A clock the test moves.
    private final class TestClock: Sendable {
        private let now = NIOLockedValueBox(Date())
        var date: Date { now.withLockedValue { $0 } }
        func advance(seconds: TimeInterval) { now.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
        func set(_ date: Date) { now.withLockedValue { $0 = date } }
    }

    private static func round(_ job: WebhookDeliveryJob) async throws -> WebhookDeliveryJob.Round {
        guard let round = await job.runOnce() else { throw TestFailure("the delivery round did not run (lock held or failed; see the log)") }
        return round
    }

    private static let localTrial = WebhookSettings(allowsLocalTrial: true, firstRetry: .seconds(10))

    /// A request as the receiver got it: its headers (lower-cased names) and body.
    private static func parse(_ raw: String) -> (headers: [String: String], body: String) {
        let parts = raw.components(separatedBy: "\r\n\r\n")
        var headers: [String: String] = [:]
        for line in parts[0].components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    private static func secretBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    func testAnEndpointThatIsDownGetsExactlyItsEventsSignedOnceItRecovers() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let keys = try await database.keyStore()
        let clock = TestClock()
        let port = try await ScriptedHTTPServer.closedPort()
        try await withTestApp(database, keyStore: keys, webhooks: Self.localTrial) { client in
            let world = try await World.build(client, database: database)
            // The world's subscription points at a public address; this test sends nowhere but here.
            let deleted = try await client.call(.delete, "/v1/webhooks/\(world.webhookA)", token: world.resellerAKey)
            XCTAssertEqual(deleted.status, .noContent)
            let subscribed = try await client.call(.post, "/v1/webhooks", token: world.resellerAKey,
                                                   json: #"{"url":"http://127.0.0.1:\#(port)/events","events":["data-subject-request.opened","receipt.issued","data-subject-request.closed"]}"#)
            XCTAssertEqual(subscribed.status, .created, subscribed.body)
            let secret = Self.secretBytes(try subscribed.string("secret"))
            let webhookID = try XCTUnwrap((subscribed.json["webhook"] as? [String: Any])?["id"] as? String)
            // B's acts and A's unsubscribed event types must not reach A's endpoint.
            let bCustomer = try await client.call(.post, "/v1/customers/\(world.customerB1)/employees", token: world.resellerBKey, json: #"{"fullName":"Bea","extension":"500"}"#)
            XCTAssertEqual(bCustomer.status, .created)
            let bCase = try await client.call(.post, "/v1/data-subject-requests", token: world.resellerBKey,
                                              json: #"{"customerId":"\#(world.customerB1)","extension":"500","fullName":"Bea","right":"access"}"#)
            XCTAssertEqual(bCase.status, .created)
            let terminated = try await client.call(.post, "/v1/customers/\(world.customerA2)/terminate", token: world.resellerAKey)
            XCTAssertEqual(terminated.status, .ok)
            // A's case: opened, then answered (a receipt and the close).
            let opened = try await client.call(.post, "/v1/data-subject-requests", token: world.resellerAKey,
                                               json: #"{"customerId":"\#(world.customerA1)","extension":"110","fullName":"Staff reseller","right":"access"}"#)
            let requestID = try opened.string("id")
            let answered = try await client.call(.post, "/v1/data-subject-requests/\(requestID)/fulfil", token: world.resellerAKey, json: "{}")
            XCTAssertEqual(answered.status, .ok, answered.body)
            let receiptID = try XCTUnwrap((answered.json["receipt"] as? [String: Any])?["receiptId"] as? String)

            clock.set(Date())
            try await database.withRunningApplicationClient(maxConnections: 3) { pool in
                let job = WebhookDeliveryJob(
                    queue: WebhookDeliveryQueue(database: ScopedDatabase(client: pool)),
                    sender: try WebhookSender(policy: Self.localTrial.addressPolicy, limits: .init(connectTimeout: .seconds(2), deadline: .seconds(3))),
                    keys: keys, settings: Self.localTrial, logger: TestCluster.logger, clock: { clock.date }
                )
                // Down: every attempt fails and is retried later, with the failure in the log.
                let down = try await Self.round(job)
                XCTAssertEqual(down.delivered, 0)
                XCTAssertEqual(down.retrying, 3)
                let log = try await client.call(.get, "/v1/webhooks/\(webhookID)/deliveries", token: world.resellerAKey)
                XCTAssertEqual(log.items.compactMap { $0["state"] as? String }, ["pending", "pending", "pending"])
                XCTAssertEqual(log.items.compactMap { $0["attempts"] as? Int }, [1, 1, 1])
                XCTAssertTrue(log.items.allSatisfy { ($0["lastError"] as? String)?.isEmpty == false }, log.body)

                let receiver = try await ScriptedHTTPServer.start(.respond("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"), port: port)
                // Recovered, but the backoff has not passed: nothing is sent yet.
                clock.advance(seconds: 5)
                let early = try await Self.round(job)
                XCTAssertEqual(early.delivered, 0)
                XCTAssertEqual(receiver.stats.withLockedValue { $0.requests.count }, 0)
                clock.advance(seconds: 6)
                let recovered = try await Self.round(job)
                XCTAssertEqual(recovered.delivered, 3)
                // Nothing is sent twice.
                clock.advance(seconds: 3600)
                let repeated = try await Self.round(job)
                XCTAssertEqual(repeated.delivered, 0)
                let requests = receiver.stats.withLockedValue { $0.requests }.map(Self.parse)
                XCTAssertEqual(requests.count, 3)
                XCTAssertEqual(Set(requests.compactMap { $0.headers["switchboard-event"] }),
                               ["data-subject-request.opened", "receipt.issued", "data-subject-request.closed"])
                for request in requests {
                    XCTAssertTrue(WebhookSignature.verify(header: request.headers["switchboard-signature"] ?? "", body: Array(request.body.utf8),
                                                          secret: secret, now: clock.date, tolerance: 86_400), "signature of \(request.body)")
                    XCTAssertFalse(WebhookSignature.verify(header: request.headers["switchboard-signature"] ?? "", body: Array((request.body + " ").utf8),
                                                           secret: secret, now: clock.date, tolerance: 86_400))
                    let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
                    XCTAssertEqual(body["resellerId"] as? String, world.resellerA)
                    XCTAssertEqual(body["type"] as? String, request.headers["switchboard-event"])
                    let data = body["data"] as? [String: Any] ?? [:]
                    XCTAssertEqual(data["requestId"] as? String, requestID)
                    XCTAssertFalse(request.body.contains("Staff"), "no name in a payload")
                }
                let receipts = requests.filter { $0.headers["switchboard-event"] == "receipt.issued" }
                XCTAssertTrue(receipts.first?.body.contains(receiptID) == true)
                let delivered = try await client.call(.get, "/v1/webhooks/\(webhookID)/deliveries", token: world.resellerAKey)
                XCTAssertEqual(delivered.items.compactMap { $0["state"] as? String }, ["delivered", "delivered", "delivered"])
                XCTAssertEqual(delivered.items.compactMap { $0["lastStatus"] as? Int }, [204, 204, 204])
                // Redelivery on request sends that delivery again, under the same delivery id.
                let chosen = try XCTUnwrap(delivered.items.first?["id"] as? String)
                let again = try await client.call(.post, "/v1/webhooks/\(webhookID)/deliveries/\(chosen)/redeliver", token: world.resellerAKey)
                XCTAssertEqual(again.status, .accepted)
                let redelivered = try await Self.round(job)
                XCTAssertEqual(redelivered.delivered, 1)
                let last = receiver.stats.withLockedValue { $0.requests }.map(Self.parse).last
                XCTAssertEqual(last?.headers["switchboard-delivery"], chosen)
                // Another reseller cannot read or replay A's log.
                let replay = try await client.call(.post, "/v1/webhooks/\(webhookID)/deliveries/\(chosen)/redeliver", token: world.resellerBKey)
                XCTAssertEqual(replay.status, .notFound)
                let peek = try await client.call(.get, "/v1/webhooks/\(webhookID)/deliveries", token: world.resellerBKey)
                XCTAssertEqual(peek.status, .notFound)
                try await receiver.close()
            }
        }
    }

    func testAURLResolvingToAnInternalAddressIsRefusedAtRegistrationAndAtEveryDelivery() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let keys = try await database.keyStore()
        try await withTestApp(database, keyStore: keys) { client in
            let world = try await World.build(client, database: database)
            for url in ["https://10.0.0.1/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook",
                        "https://192.168.1.10/hook", "https://100.64.0.1/hook", "https://[fd00::1]/hook", "https://[::ffff:10.0.0.1]/hook",
                        "https://localhost/hook", "http://93.184.215.14/hook", "https://user:secret@93.184.215.14/hook", "ftp://93.184.215.14/"] {
                let refused = try await client.call(.post, "/v1/webhooks", token: world.resellerAKey, json: #"{"url":"\#(url)"}"#)
                XCTAssertEqual(refused.status, .unprocessableContent, url)
                XCTAssertEqual(refused.json["type"] as? String, "urn:switchboard:problem:webhook-url-refused", url)
            }
        }
        // The local-trial setting admits plain HTTP and loopback only: the metadata service and private networks stay out.
        try await withTestApp(database, keyStore: keys, webhooks: Self.localTrial) { client in
            let key = try await client.call(.post, "/v1/resellers", token: World.bootstrapToken, json: #"{"name":"Trial"}"#)
            let reseller = try key.string("id")
            let secret = try await client.call(.post, "/v1/resellers/\(reseller)/api-keys", token: World.bootstrapToken, json: #"{"name":"k"}"#).string("secret")
            let loopback = try await client.call(.post, "/v1/webhooks", token: secret, json: #"{"url":"http://127.0.0.1:9/hook"}"#)
            XCTAssertEqual(loopback.status, .created, loopback.body)
            for url in ["http://169.254.169.254/latest", "http://10.1.2.3/hook", "http://[fe80::1]/hook"] {
                let refused = try await client.call(.post, "/v1/webhooks", token: secret, json: #"{"url":"\#(url)"}"#)
                XCTAssertEqual(refused.status, .unprocessableContent, url)
            }
            // Each subscription gets every event, so their number is capped (and a list of types too).
            for index in 2...10 {
                let more = try await client.call(.post, "/v1/webhooks", token: secret, json: #"{"url":"http://127.0.0.1:9/hook\#(index)"}"#)
                XCTAssertEqual(more.status, .created, "subscription \(index)")
            }
            let eleventh = try await client.call(.post, "/v1/webhooks", token: secret, json: #"{"url":"http://127.0.0.1:9/hook11"}"#)
            XCTAssertEqual(eleventh.status, .unprocessableContent)
            XCTAssertEqual(eleventh.json["type"] as? String, "urn:switchboard:problem:webhook-limit")
            let types = Array(repeating: #""receipt.issued""#, count: 21).joined(separator: ",")
            let tooMany = try await client.call(.post, "/v1/webhooks", token: secret, json: #"{"url":"http://127.0.0.1:9/x","events":[\#(types)]}"#)
            XCTAssertEqual(tooMany.status, .unprocessableContent)
        }
        // DNS rebinding: a name that was public at registration and answers an internal address at delivery is refused then,
        // and nothing is connected to.
        let hidden = try await ScriptedHTTPServer.start(.respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        let rebound = WebhookSettings(firstRetry: .seconds(10))
        let fresh = try await TestCluster.shared.migratedDatabase()
        let freshKeys = try await fresh.keyStore()
        try await withTestApp(fresh, keyStore: freshKeys) { client in
            let world = try await World.build(client, database: fresh)
            let opened = try await client.call(.post, "/v1/data-subject-requests", token: world.resellerAKey,
                                               json: #"{"customerId":"\#(world.customerA1)","extension":"110","fullName":"Staff reseller","right":"access"}"#)
            XCTAssertEqual(opened.status, .created)
            try await fresh.withRunningApplicationClient(maxConnections: 3) { pool in
                let job = WebhookDeliveryJob(
                    queue: WebhookDeliveryQueue(database: ScopedDatabase(client: pool)),
                    sender: try WebhookSender(resolver: AlwaysAnswers(address: try SocketAddress(ipAddress: "127.0.0.1", port: hidden.port)),
                                              policy: rebound.addressPolicy),
                    keys: freshKeys, settings: rebound, logger: TestCluster.logger
                )
                let round = try await Self.round(job)
                XCTAssertEqual(round.delivered, 0)
                XCTAssertGreaterThanOrEqual(round.retrying, 1)
            }
            XCTAssertEqual(hidden.stats.withLockedValue { $0.accepted }, 0, "nothing connected to the internal address")
            let log = try await client.call(.get, "/v1/webhooks/\(world.webhookA)/deliveries", token: world.resellerAKey)
            XCTAssertTrue(log.items.allSatisfy { ($0["lastError"] as? String)?.hasPrefix("refused") == true }, log.body)
        }
        try await hidden.close()
    }
}
