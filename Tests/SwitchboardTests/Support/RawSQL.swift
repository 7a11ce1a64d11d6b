import Foundation
import PostgresNIO
import SwitchboardStore
import XCTest

/// Raw SQL through the `sb_app` login role, optionally switched to a scope role with settings:
/// exactly what a request's transaction does, without any application code in between.
struct RawSession {
    let database: TestDatabase

    enum Outcome: Equatable {
        case rows([[String?]])
        case denied(sqlState: String, message: String)
    }

    /// Runs `sql` in a transaction that is always rolled back.
    func run(_ sql: String, role: String?, settings: [String: String] = [:]) async throws -> Outcome {
        let configuration = try database.adminTarget.connectionConfiguration(user: DatabaseTarget.applicationRole, password: nil)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 7, logger: TestCluster.logger)
        defer { Task { try? await connection.close() } }
        try await connection.query("BEGIN", logger: TestCluster.logger)
        try await Self.enterScope(role: role, settings: settings, on: connection)
        do {
            // Queries select one text column.
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger).collect()
            try await connection.query("ROLLBACK", logger: TestCluster.logger)
            return .rows(try rows.map { [try $0.decode(String?.self)] })
        } catch let error as PSQLError {
            _ = try? await connection.query("ROLLBACK", logger: TestCluster.logger)
            return .denied(sqlState: error.serverInfo?[.sqlState] ?? "?", message: error.serverInfo?[.message] ?? "\(error)")
        }
    }

    /// Runs a data-changing statement; returns the outcome of the statement itself.
    func execute(_ sql: String, role: String?, settings: [String: String] = [:]) async throws -> Outcome {
        let configuration = try database.adminTarget.connectionConfiguration(user: DatabaseTarget.applicationRole, password: nil)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 8, logger: TestCluster.logger)
        defer { Task { try? await connection.close() } }
        try await connection.query("BEGIN", logger: TestCluster.logger)
        try await Self.enterScope(role: role, settings: settings, on: connection)
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestCluster.logger).collect()
            try await connection.query("ROLLBACK", logger: TestCluster.logger)
            return .rows(rows.map { _ in [] })
        } catch let error as PSQLError {
            _ = try? await connection.query("ROLLBACK", logger: TestCluster.logger)
            return .denied(sqlState: error.serverInfo?[.sqlState] ?? "?", message: error.serverInfo?[.message] ?? "\(error)")
        }
    }

    /// As `public.sb_enter_scope` does: `SET LOCAL` (which Citus carries to the workers, unlike
    /// `set_config`), the role first.
    private static func enterScope(role: String?, settings: [String: String], on connection: PostgresConnection) async throws {
        func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        if let role {
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL ROLE \"\(role.replacingOccurrences(of: "\"", with: "\"\""))\""), logger: TestCluster.logger)
        }
        try await connection.query("SET LOCAL citus.propagate_set_commands = 'local'", logger: TestCluster.logger)
        for (name, value) in settings {
            precondition(name.allSatisfy { $0.isLetter || $0 == "_" || $0 == "." }, "setting name \(name)")
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL \(name) = \(literal(value))"), logger: TestCluster.logger)
        }
    }

    /// The single values of a one-column result, or nil when denied.
    func values(_ sql: String, role: String?, settings: [String: String] = [:]) async throws -> [String]? {
        switch try await run(sql, role: role, settings: settings) {
        case .rows(let rows): return rows.map { $0[0] ?? "NULL" }
        case .denied: return nil
        }
    }
}

/// Two resellers' worth of rows in every tenant table, inserted as the superuser.
struct SeededTenants {
    let resellerA = UUID(), resellerB = UUID()
    let customerA1 = UUID(), customerA2 = UUID(), customerB1 = UUID()
    let managerA1 = UUID(), managerA2 = UUID(), managerB1 = UUID()
    let keyA = UUID(), keyB = UUID(), platformKey = UUID()
    let sessionA1 = UUID(), sessionB1 = UUID()
    let employeeA1 = UUID(), employeeB1 = UUID()
    let keyASecretHash = String(repeating: "ab", count: 32)

    var a: String { resellerA.uuidString.lowercased() }
    var b: String { resellerB.uuidString.lowercased() }

    /// A new database seeded with both resellers' data, and a raw session on it.
    static func seeded() async throws -> (RawSession, SeededTenants) {
        let database = try await TestCluster.shared.migratedDatabase()
        let tenants = SeededTenants()
        try await tenants.seed(database)
        return (RawSession(database: database), tenants)
    }

    func seed(_ database: TestDatabase) async throws {
        let statements = [
            "INSERT INTO sb.resellers (id, name) VALUES ('\(resellerA)', 'A'), ('\(resellerB)', 'B')",
            """
            INSERT INTO sb.customers (reseller_id, id, name, cvr) VALUES
              ('\(resellerA)', '\(customerA1)', 'A1', '11111111'), ('\(resellerA)', '\(customerA2)', 'A2', '22222222'),
              ('\(resellerB)', '\(customerB1)', 'B1', '33333333')
            """,
            "INSERT INTO sb.dpa_acceptances (reseller_id, id, version, accepted_by) VALUES ('\(resellerA)', gen_random_uuid(), '2026-01', '\(keyA)'), ('\(resellerB)', gen_random_uuid(), '2026-01', '\(keyB)')",
            """
            INSERT INTO sb.managers (reseller_id, customer_id, id, email, full_name, password_hash) VALUES
              ('\(resellerA)', '\(customerA1)', '\(managerA1)', 'a1@x.example', 'Ann One', 'x'),
              ('\(resellerA)', '\(customerA2)', '\(managerA2)', 'a2@x.example', 'Ann Two', 'x'),
              ('\(resellerB)', '\(customerB1)', '\(managerB1)', 'b1@x.example', 'Bob One', 'x')
            """,
            """
            INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by) VALUES
              ('\(resellerA)', '\(keyA)', 'a', '\\x\(keyASecretHash)', 'sbr_a', '\(platformKey)'),
              ('\(resellerB)', '\(keyB)', 'b', '\\x\(String(repeating: "cd", count: 32))', 'sbr_b', '\(platformKey)')
            """,
            "INSERT INTO sb.platform_api_keys (id, name, secret_hash, display_prefix) VALUES ('\(platformKey)', 'p', '\\x\(String(repeating: "ef", count: 32))', 'sbp_p')",
            """
            INSERT INTO sb.sessions (reseller_id, customer_id, id, manager_id, token_hash, expires_at) VALUES
              ('\(resellerA)', '\(customerA1)', '\(sessionA1)', '\(managerA1)', '\\x01', now() + interval '1 hour'),
              ('\(resellerB)', '\(customerB1)', '\(sessionB1)', '\(managerB1)', '\\x02', now() + interval '1 hour')
            """,
            """
            INSERT INTO sb.audit_events (chain, principal_id, principal_kind, role, reseller_id, customer_id, action, target_id) VALUES
              ('\(a)', '\(keyA)', 'api_key', 'sb_reseller', '\(resellerA)', '\(customerA1)', 'customer.create', '\(customerA1)'),
              ('\(b)', '\(keyB)', 'api_key', 'sb_reseller', '\(resellerB)', '\(customerB1)', 'customer.create', '\(customerB1)')
            """,
        ]
        var directory: [String] = []
        for (reseller, customer, employee, suffix) in [(resellerA, customerA1, employeeA1, "1"), (resellerB, customerB1, employeeB1, "2")] {
            let owner = "'\(reseller)', '\(customer)', '\(employee)'"
            directory += [
                "INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension) VALUES (\(owner), 'Person \(suffix)', '1\(suffix)')",
                "INSERT INTO sb.number_assignments (reseller_id, customer_id, employee_id, id, number) VALUES (\(owner), gen_random_uuid(), '+4511\(suffix)00000')",
                "INSERT INTO sb.sim_cards (reseller_id, customer_id, employee_id, id, iccid) VALUES (\(owner), gen_random_uuid(), '894510000000000000\(suffix)')",
                "INSERT INTO sb.fax_to_mail (reseller_id, customer_id, employee_id, id, fax_number, delivery_email) VALUES (\(owner), gen_random_uuid(), '+4522\(suffix)00000', 'f@x.example')",
                "INSERT INTO sb.employee_preference_history (reseller_id, customer_id, employee_id, id, preference, value, changed_by, changed_by_role, sequence) VALUES (\(owner), gen_random_uuid(), 'marketingConsent', 'true', gen_random_uuid(), 'sb_reseller', 1)",
                "INSERT INTO sb.employee_content (reseller_id, customer_id, employee_id, id, kind, content_type, byte_size, data) VALUES (\(owner), gen_random_uuid(), 'voicemail', 'audio/wav', 0, '\\x00')",
            ]
        }
        // Stock: each reseller holds its employee's number, fax number and SIM (assigned), one
        // available and one quarantined number and an available SIM; A also holds a number assigned
        // to company A2, which A1's manager must not see.
        var stock: [String] = []
        for (reseller, customer, employee, suffix) in [(resellerA, customerA1, employeeA1, "1"), (resellerB, customerB1, employeeB1, "2")] {
            stock += [
                "INSERT INTO sb.number_blocks (reseller_id, id, count, allocated_by) VALUES ('\(reseller)', '\(reseller)', 4, '\(platformKey)')",
                // The platform-wide registries the stock rows reference (migration 0021).
                """
                INSERT INTO sb.number_registry (number, reseller_id) VALUES ('+4511\(suffix)00000', '\(reseller)'),
                  ('+4522\(suffix)00000', '\(reseller)'), ('+4533\(suffix)00000', '\(reseller)'), ('+4544\(suffix)00000', '\(reseller)')
                """,
                "INSERT INTO sb.sim_registry (iccid, reseller_id) VALUES ('894510000000000000\(suffix)', '\(reseller)'), ('894510000000000001\(suffix)', '\(reseller)')",
                """
                INSERT INTO sb.stock_numbers (reseller_id, number, block_id, state, use, customer_id, quarantined_until) VALUES
                  ('\(reseller)', '+4511\(suffix)00000', '\(reseller)', 'assigned', 'voice', '\(customer)', NULL),
                  ('\(reseller)', '+4522\(suffix)00000', '\(reseller)', 'assigned', 'fax', '\(customer)', NULL),
                  ('\(reseller)', '+4533\(suffix)00000', '\(reseller)', 'available', NULL, NULL, NULL),
                  ('\(reseller)', '+4544\(suffix)00000', '\(reseller)', 'quarantined', NULL, NULL, now() + interval '90 days')
                """,
                "INSERT INTO sb.sim_batches (reseller_id, id, count, allocated_by) VALUES ('\(reseller)', '\(reseller)', 2, '\(platformKey)')",
                """
                INSERT INTO sb.stock_sims (reseller_id, iccid, batch_id, state, customer_id) VALUES
                  ('\(reseller)', '894510000000000000\(suffix)', '\(reseller)', 'assigned', '\(customer)'),
                  ('\(reseller)', '894510000000000001\(suffix)', '\(reseller)', 'available', NULL)
                """,
                "INSERT INTO sb.scheduled_anonymisations (reseller_id, customer_id, employee_id, due_on, scheduled_by, scheduled_by_role) VALUES ('\(reseller)', '\(customer)', '\(employee)', current_date + 30, '\(platformKey)', 'sb_reseller')",
            ]
        }
        stock.append("INSERT INTO sb.number_registry (number, reseller_id) VALUES ('+4555100000', '\(resellerA)')")
        stock.append("INSERT INTO sb.stock_numbers (reseller_id, number, block_id, state, use, customer_id) VALUES ('\(resellerA)', '+4555100000', '\(resellerA)', 'assigned', 'voice', '\(customerA2)')")
        // Brands: A's portal hostname is verified; B has a verified and a pending one.
        let brands = [
            """
            INSERT INTO sb.brands (reseller_id, display_name, primary_color, accent_color, default_language) VALUES
              ('\(resellerA)', 'Brand A', '#112233', '#445566', 'da'), ('\(resellerB)', 'Brand B', '#aabbcc', '#ddeeff', 'en')
            """,
            "INSERT INTO sb.hostname_registry (hostname, reseller_id) VALUES ('portal.a.test', '\(resellerA)'), ('portal.b.test', '\(resellerB)'), ('pending.b.test', '\(resellerB)')",
            """
            INSERT INTO sb.brand_hostnames (reseller_id, hostname, verification_token, verified_at, verified_by, verified_how) VALUES
              ('\(resellerA)', 'portal.a.test', repeat('a', 43), now(), '\(platformKey)', 'platform'),
              ('\(resellerB)', 'portal.b.test', repeat('b', 43), now(), '\(platformKey)', 'platform'),
              ('\(resellerB)', 'pending.b.test', repeat('c', 43), NULL, NULL, NULL)
            """,
        ]
        // A retention run that touched both resellers' data, with each one's own count.
        let retention = [
            "INSERT INTO platform.retention_runs (clock, dry_run, trigger) VALUES (now(), false, 'job')",
            """
            INSERT INTO sb.retention_run_tenants (reseller_id, run_id, rule, affected, dry_run, clock)
            SELECT r, (SELECT max(id) FROM platform.retention_runs), 'call-recordings', 1, false, now() FROM unnest(ARRAY['\(resellerA)', '\(resellerB)']::uuid[]) r
            """,
        ]
        let all = statements + directory + stock + brands + retention
        try await database.withAdmin { connection in
            for statement in all {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestCluster.logger)
            }
        }
    }

    var resellerSettingsA: [String: String] { ["sb.principal_id": keyA.uuidString, "sb.reseller_id": a] }

    /// Reseller A's scope on a connection of its own, as far as the statements read it
    /// (`sb.statement_tenant`, migration 0039): for repositories run as the admin.
    func enterScopeOfA(on connection: PostgresConnection) async throws {
        try await connection.query("SELECT set_config('sb.reseller_id', \(a), false)", logger: TestCluster.logger)
    }
    var customerSettingsA1: [String: String] {
        ["sb.principal_id": managerA1.uuidString, "sb.reseller_id": a, "sb.customer_id": customerA1.uuidString.lowercased()]
    }
    var platformSettings: [String: String] { ["sb.principal_id": platformKey.uuidString] }
}
