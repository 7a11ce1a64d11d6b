import Foundation
import Logging
import PostgresNIO
import SwitchboardStore

/// The managers' portal under light load (issue 14): the staff page (25 people, HTML from a
/// template) on a brand's verified hostname with a manager's session cookie, against the API's
/// JSON page of the same 25 people for the same session — the same reads, without the brand
/// check and the rendering.
enum PortalBenchmark {
    static let host = "portal.bench.test"
    static let connections = 4

    static func run(reseller: String, customer: String, seconds: Int, in environment: TrafficBenchmark.Environment) async throws -> Row {
        let logger = environment.logger
        let token = "sbs_benchmark_session_" + UUID().uuidString.lowercased()
        // A brand on a verified hostname and a signed-in manager of the measured company.
        try await environment.target.withAdminConnection(logger: logger) { connection in
            let manager = UUID()
            for statement in [
                "INSERT INTO sb.brands (reseller_id, display_name, primary_color, accent_color, default_language) VALUES ('\(reseller)', 'Bench Telecom', '#0b5fff', '#ffcc00', 'da')",
                "INSERT INTO sb.hostname_registry (hostname, reseller_id) VALUES ('\(host)', '\(reseller)')",
                "INSERT INTO sb.brand_hostnames (reseller_id, hostname, verification_token, verified_at, verified_by, verified_how) VALUES ('\(reseller)', '\(host)', repeat('b', 43), now(), gen_random_uuid(), 'platform')",
                "INSERT INTO sb.managers (reseller_id, customer_id, id, email, full_name, password_hash) VALUES ('\(reseller)', '\(customer)', '\(manager)', 'bench@portal.test', 'Bench Manager', 'x')",
                """
                INSERT INTO sb.sessions (reseller_id, customer_id, id, manager_id, token_hash, expires_at)
                VALUES ('\(reseller)', '\(customer)', gen_random_uuid(), '\(manager)', '\\x\(Credentials.hash(token))', now() + interval '1 hour')
                """,
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
        let portal = try await Wrk.measure(url: "\(environment.base)/portal/employees", headers: ["Host: \(host)", "Cookie: __Host-session=\(token)"],
                                           connections: connections, seconds: seconds)
        let api = try await Wrk.measure(url: "\(environment.base)/v1/customers/\(customer)/employees?limit=25", token: token,
                                        connections: connections, seconds: seconds)
        let p99 = portal.p99 ?? .nan
        return Row(
            name: "portal staff page (25 people, HTML) with \(connections) connections ÷ the API's JSON page of the same 25, same session",
            text: String(format: "portal %.0f req/s, p50 %.1f ms, p99 %.1f ms; API %.0f req/s, p50 %.1f ms, p99 %.1f ms",
                         portal.perSecond, portal.p50 ?? .nan, p99, api.perSecond, api.p50 ?? .nan, api.p99 ?? .nan),
            ratio: portal.perSecond / api.perSecond, goal: "≥ 0.50 and p99 < 50 ms", ok: portal.perSecond / api.perSecond >= 0.5 && p99 < 50
        )
    }
}
