import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import SwitchboardAPI
@testable import SwitchboardJobs
import SwitchboardDomain
import SwitchboardStore
import XCTest

/// Issue 12: `GET /metrics` in Prometheus text format, labelled by route template, never by
/// anything a client sent (ids, names, e-mails).
final class MetricsTests: XCTestCase {
    /// One scrape: each sample line's series (name and labels) and its value.
    struct Scrape {
        let text: String
        let samples: [String: Double]

        init(_ text: String) {
            self.text = text
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[String(line[..<space])] = value
            }
            self.samples = samples
        }

        func value(_ series: String) -> Double { samples[series] ?? 0 }

        /// Every label of every sample, as name and value.
        var labels: [(name: String, value: String)] {
            samples.keys.flatMap { series -> [(name: String, value: String)] in
                series.matches(of: /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/).map { (String($0.output.1), String($0.output.2)) }
            }
        }
    }

    static func scrape(_ client: some TestClientProtocol) async throws -> Scrape {
        let reply = try await client.call(.get, "/metrics")
        XCTAssertEqual(reply.status, .ok, reply.body)
        return Scrape(reply.body)
    }

    /// Sends one request and checks its status.
    static func expect(_ status: HTTPResponse.Status, _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String,
                       token: String? = nil, json: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await client.call(method, uri, token: token, json: json)
        XCTAssertEqual(reply.status, status, "\(method) \(uri): \(reply.body)", file: file, line: line)
    }

    static func requests(_ route: String, _ method: String, _ status: Int) -> String {
        #"switchboard_http_requests_total{route="\#(route)",method="\#(method)",status="\#(status)"}"#
    }

    func testRequestsAreCountedByRouteTemplateAndRealStatusAndTimedInAHistogram() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let before = try await Self.scrape(client)

            for _ in 0..<2 { try await Self.expect(.ok, client, .get, "/health") }
            try await Self.expect(.unauthorized, client, .get, "/v1/me")
            try await Self.expect(.ok, client, .get, "/v1/me", token: world.resellerAKey)
            try await Self.expect(.ok, client, .get, "/v1/customers/\(world.customerA1)", token: world.resellerAKey)
            try await Self.expect(.notFound, client, .get, "/v1/customers/\(world.customerB1)", token: world.resellerAKey)
            try await Self.expect(.notFound, client, .get, "/no/such/\(world.customerA1)")
            try await Self.expect(.methodNotAllowed, client, .post, "/health")
            try await Self.expect(.notFound, client, HTTPRequest.Method("BREW")!, "/coffee-pot")

            let reply = try await client.call(.get, "/metrics")
            XCTAssertEqual(reply.status, .ok)
            let contentType = try XCTUnwrap(reply.headers[.contentType])
            XCTAssertTrue(contentType.hasPrefix("text/plain;"), contentType)
            XCTAssertTrue(contentType.contains("version=0.0.4"), contentType)
            // What Prometheus 3 and 2 send: the text format is acceptable to both.
            for accept in ["application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
                           "text/plain;version=0.0.4"] {
                let scraped = try await client.call(.get, "/metrics", headers: [.accept: accept])
                XCTAssertEqual(scraped.status, .ok, "Accept: \(accept): \(scraped.body)")
            }
            XCTAssertEqual(reply.headers[.xContentTypeOptions], "nosniff")
            let after = Scrape(reply.body)
            func delta(_ series: String) -> Double { after.value(series) - before.value(series) }

            XCTAssertEqual(delta(Self.requests("/health", "GET", 200)), 2, after.text)
            XCTAssertEqual(delta(Self.requests("/v1/me", "GET", 401)), 1, "a thrown 401 is counted with its status")
            XCTAssertEqual(delta(Self.requests("/v1/me", "GET", 200)), 1)
            XCTAssertEqual(delta(Self.requests("/v1/customers/{customerId}", "GET", 200)), 1)
            XCTAssertEqual(delta(Self.requests("/v1/customers/{customerId}", "GET", 404)), 1, "the foreign customer's 404 is the operation's")
            XCTAssertEqual(delta(Self.requests("unmatched", "GET", 404)), 1)
            XCTAssertEqual(delta(Self.requests("unmatched", "POST", 405)), 1)
            XCTAssertEqual(delta(Self.requests("unmatched", "other", 404)), 1, "an invented method is not a label value")
            XCTAssertFalse(after.text.contains("BREW"))
            // The scrape before this one is counted too.
            XCTAssertGreaterThanOrEqual(after.value(Self.requests("/metrics", "GET", 200)), 1)

            let health = #"route="/health",method="GET",status="200""#
            XCTAssertEqual(delta("switchboard_http_request_duration_seconds_count{\(health)}"), 2)
            XCTAssertEqual(delta("switchboard_http_request_duration_seconds_bucket{\(health),le=\"+Inf\"}"), 2)
            XCTAssertNotNil(after.samples["switchboard_http_request_duration_seconds_bucket{\(health),le=\"0.005\"}"], after.text)
            XCTAssertGreaterThan(after.value("switchboard_http_request_duration_seconds_sum{\(health)}"), 0)
            XCTAssertTrue(after.text.contains("# TYPE switchboard_http_request_duration_seconds histogram"))
            XCTAssertTrue(after.text.contains("# TYPE switchboard_http_requests_total counter"))

            // Every database request leased a connection, waited for it, and gave it back: the two
            // customer reads (the key itself comes from the credential cache once it is live).
            XCTAssertGreaterThanOrEqual(delta("switchboard_db_connection_wait_seconds_count"), 2)
            XCTAssertEqual(after.value("switchboard_db_connections_leased"), 0, "no transaction is open during the scrape")
            XCTAssertNotNil(after.samples[#"switchboard_db_transactions_unavailable_total{cause="no-connection"}"#])
        }
    }

    func testLoginFailuresAndIngestedRecordsAreCountedAndNoLabelCarriesWhatTheClientSent() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let world = try await World.build(client, database: database)
            let name = "Quillfeather Metrics Probe GmbH"
            let customer = try await client.call(.post, "/v1/customers", token: world.resellerAKey, json: #"{"name":"\#(name)","externalRef":"probe-ref-77"}"#)
            XCTAssertEqual(customer.status, .created, customer.body)
            let customerID = try customer.string("id")
            let email = "quill-\(UUID().uuidString.prefix(8).lowercased())@probe.example"
            let manager = try await client.call(.post, "/v1/customers/\(customerID)/managers", token: world.resellerAKey,
                                                json: #"{"email":"\#(email)","password":"\#(World.password)","fullName":"Quinn Quillfeather"}"#)
            XCTAssertEqual(manager.status, .created, manager.body)
            try await Self.expect(.ok, client, .get, "/v1/customers/\(customerID)", token: world.resellerAKey)
            let before = try await Self.scrape(client)

            let wrong = try await client.call(.post, "/v1/sessions", json: #"{"email":"\#(email)","password":"not the password at all"}"#)
            XCTAssertEqual(wrong.status, .unauthorized)
            let unknown = try await client.call(.post, "/v1/sessions", json: #"{"email":"nobody-\#(email)","password":"whatever it is"}"#)
            XCTAssertEqual(unknown.status, .unauthorized)
            try await Self.expect(.created, client, .post, "/v1/sessions", json: #"{"email":"\#(email)","password":"\#(World.password)"}"#)

            let now = Date()
            let lines = [TrafficTests.cdr("sms", "+4599000001", at: now), TrafficTests.cdr("sms", "+4599000002", at: now.addingTimeInterval(-60))]
            let stored = try await TrafficTests.post(client, lines, key: "metrics-probe-batch")
            XCTAssertEqual(stored.status, .created, stored.body)
            let replayed = try await TrafficTests.post(client, lines, key: "metrics-probe-batch")
            XCTAssertEqual(replayed.status, .ok, "a replay stores nothing: \(replayed.body)")

            let after = try await Self.scrape(client)
            func delta(_ series: String) -> Double { after.value(series) - before.value(series) }
            XCTAssertEqual(delta(#"switchboard_login_failures_total{reason="wrong-credentials"}"#), 2, after.text)
            XCTAssertEqual(delta(#"switchboard_login_failures_total{reason="throttled"}"#), 0)
            XCTAssertEqual(delta(Self.requests("/v1/sessions", "POST", 401)), 2)
            XCTAssertEqual(delta(Self.requests("/v1/sessions", "POST", 201)), 1)
            XCTAssertEqual(delta("switchboard_cdr_records_ingested_total"), 2, "the replay is not counted again")
            XCTAssertEqual(delta("switchboard_cdr_unknown_number_records_total"), 2, "nobody holds these numbers")
            XCTAssertEqual(delta(Self.requests("/v1/platform/cdrs", "POST", 201)), 1)
            XCTAssertEqual(delta(Self.requests("/v1/platform/cdrs", "POST", 200)), 1)

            // Attack: nothing a client sent, and no id or tenant, reaches a label or the page.
            let secrets = [name, "Quillfeather", "probe-ref-77", email, "probe.example", customerID, world.customerA1, world.resellerA,
                           world.managerA1Email, world.resellerAKey, world.platformKey, "+4599000001", "Reseller A", "A1 ApS"]
            for secret in secrets {
                XCTAssertFalse(after.text.localizedCaseInsensitiveContains(secret), "/metrics shows '\(secret)'")
            }
            // Every label has a value from a closed set: route templates the contract declares, fixed words, status codes.
            let templates = Set(OperationAccess.byRoute.keys.map { ServerMetrics.pathTemplate(of: $0) } + ["unmatched"])
            let uuid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
            XCTAssertFalse(after.labels.isEmpty)
            for (label, value) in after.labels {
                XCTAssertNil(value.firstMatch(of: uuid), "an id in the label \(label): \(value)")
                XCTAssertFalse(value.contains("@"), "an e-mail in the label \(label): \(value)")
                switch label {
                case "route": XCTAssertTrue(templates.contains(value), "not a route template: \(value)")
                case "method": XCTAssertTrue(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "other"].contains(value), value)
                case "status": XCTAssertNotNil(value.wholeMatch(of: /[1-5][0-9][0-9]/), value)
                case "le": XCTAssertTrue(value == "+Inf" || Double(value) != nil, value)
                case "reason", "outcome", "cause": XCTAssertNotNil(value.wholeMatch(of: /[a-z-]+/), value)
                default: XCTFail("a label nobody reviewed: \(label)=\(value)")
                }
            }
        }
    }

    func testPoolLeasesGiveUpsAndRetentionOutcomesAreRecorded() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        let metrics = ServerMetrics()
        let vault = try await database.vault()
        // Two connections: one for the holder below, one for the run's leader lock, none for its rules.
        try await database.withRunningApplicationClient(maxConnections: 2) { pool in
            var scoped = ScopedDatabase(client: pool, deadlines: .init(connectionWait: .milliseconds(500), transaction: .seconds(5)))
            scoped.poolObserver = metrics
            let job = RetentionJob(runner: RetentionRunner(database: scoped, vault: vault, quarantine: QuarantineRule(), maintenance: nil), interval: .seconds(3600), logger: TestCluster.logger, observer: metrics)
            let scope = DatabaseScope.authenticator(credentialHash: nil, loginEmail: nil)
            let holding = Task {
                try await scoped.transaction(scope, logger: TestCluster.logger) { _ in try await Task.sleep(for: .seconds(2)) }
            }
            try await Task.sleep(for: .milliseconds(300))
            XCTAssertEqual(Scrape(metrics.registry.emitToString()).value("switchboard_db_connections_leased"), 1)
            // The other connection holds the run's lock: its first rule waits out the connection wait and fails.
            await job.runOnce()
            try await holding.value
            await job.runOnce()
        }
        let scrape = Scrape(metrics.registry.emitToString())
        XCTAssertEqual(scrape.value(#"switchboard_retention_runs_total{outcome="failed"}"#), 1, scrape.text)
        XCTAssertEqual(scrape.value(#"switchboard_retention_runs_total{outcome="ok"}"#), 1)
        XCTAssertEqual(scrape.value(#"switchboard_retention_runs_total{outcome="skipped-not-leader"}"#), 0)
        XCTAssertNotNil(scrape.samples["switchboard_retention_last_run_duration_seconds"])
        XCTAssertGreaterThan(scrape.value("switchboard_retention_last_run_duration_seconds"), 0)
        XCTAssertEqual(scrape.value(#"switchboard_db_transactions_unavailable_total{cause="no-connection"}"#), 1)
        XCTAssertEqual(scrape.value("switchboard_db_connections_leased"), 0)
        XCTAssertGreaterThanOrEqual(scrape.value("switchboard_db_connection_wait_seconds_count"), 2, "the holder's and the successful run's leases")
    }

    /// A throttled login is counted under its own reason, and never under the guessed e-mail.
    func testThrottledLoginsAreCountedApartFromWrongCredentials() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            let email = "guess-\(UUID().uuidString.prefix(8).lowercased())@throttle.example"
            for _ in 0..<5 { try await Self.expect(.unauthorized, client, .post, "/v1/sessions", json: #"{"email":"\#(email)","password":"guess guess guess"}"#) }
            try await Self.expect(.tooManyRequests, client, .post, "/v1/sessions", json: #"{"email":"\#(email)","password":"guess guess guess"}"#)
            let scrape = try await Self.scrape(client)
            XCTAssertEqual(scrape.value(#"switchboard_login_failures_total{reason="wrong-credentials"}"#), 5, scrape.text)
            XCTAssertEqual(scrape.value(#"switchboard_login_failures_total{reason="throttled"}"#), 1)
            XCTAssertEqual(scrape.value(Self.requests("/v1/sessions", "POST", 429)), 1)
            XCTAssertFalse(scrape.text.contains("throttle.example"))
        }
    }

    /// Over a real socket, as Prometheus asks for it: 200, the text format's media type, sample lines.
    func testAScrapeOverTheWireAsPrometheusSendsIt() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database, mode: .live) { client in
            let base = "http://127.0.0.1:\(try XCTUnwrap(client.port))"
            _ = try await WireClients.curl(["--silent", "\(base)/health"])
            let output = try await WireClients.curl([
                "--include", "--silent", "-H",
                "Accept: application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
                "\(base)/metrics",
            ])
            let head = WireClients.headers(ofIncluded: output)
            XCTAssertEqual(head.status, 200, output)
            XCTAssertEqual(head.fields["content-type"], "text/plain; charset=utf-8; version=0.0.4")
            XCTAssertTrue(output.contains(#"switchboard_http_requests_total{route="/health",method="GET",status="200"} 1"#), output)
        }
    }

    /// Each application has its own registry: one app's requests never show in another's scrape.
    func testEachApplicationCountsOnlyItsOwnRequests() async throws {
        let database = try await TestCluster.shared.migratedDatabase()
        try await withTestApp(database) { client in
            for _ in 0..<3 { _ = try await client.call(.get, "/health") }
        }
        try await withTestApp(database) { client in
            let scrape = try await Self.scrape(client)
            XCTAssertEqual(scrape.value(Self.requests("/health", "GET", 200)), 0, scrape.text)
        }
    }
}
