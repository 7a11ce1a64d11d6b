import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The benchmark's data, inserted as the superuser with set-based SQL. Ids are derived from
/// numbers so pgbench scripts can pick any tenant: reseller i is 00000000-0000-4000-8000-<i>,
/// its customer 00000000-0000-4000-9000-<i>.
enum Dataset {
    struct Plan {
        var resellers: Int
        var employeesPerReseller: Int
        var anonymiseSamples: Int
        var contentItems: Int
    }

    struct Seeded {
        let resellerKey: String
        let keyID: String
        let measuredReseller: String
        let measuredCustomer: String
        let anonymiseTargets: [String]
        let resellers: Int

        /// The transaction-local settings exactly as ScopedDatabase sets them (`sb_enter_scope`,
        /// migration 0019); without a role the session's own (the superuser's) is kept.
        func settings(role: String?, reseller: String) -> String {
            let timeout = EnterScope.milliseconds(DatabaseDeadlines().limit(.request))
            return """
                SELECT public.sb_enter_scope(\(role.map { "'\($0)'" } ?? "current_user"), '\(keyID)', \(reseller), '', '', '', '\(timeout)');
                """
        }

        /// The statement the server enters the measured key's scope with, values written in.
        var serverScope: String {
            let principal = Principal.resellerKey(UUID(uuidString: keyID)!, reseller: UUID(uuidString: measuredReseller)!)
            return EnterScope(ScopeSettings(.principal(principal)), statementTimeout: DatabaseDeadlines().limit(.request)).literalSQL + ";"
        }

        /// What GET /v1/customers runs per request once its credential is resolved (from the
        /// credential cache, so no lookup): begin, enter the scope, the page, commit.
        var customerListScript: String {
            """
            BEGIN;
            \(serverScope)
            SELECT \(CustomerRepository.fullColumns) FROM sb.customers WHERE reseller_id = sb.statement_tenant('\(measuredReseller)') AND (NULL::uuid IS NULL OR id > NULL) ORDER BY id LIMIT 51;
            COMMIT;
            """
        }

        /// What GET /v1/customers/{id}/employees runs per request once its credential is resolved.
        var employeeListScript: String {
            """
            BEGIN;
            \(serverScope)
            \(Dataset.oneLine(EmployeeRepository.selectSQL(tenant: "'\(measuredReseller)'::uuid", filter: "e.customer_id = '\(measuredCustomer)'", limit: "51")));
            COMMIT;
            """
        }

        /// Picks a random reseller and its company into `:tenant` and `:company`, so the page binds
        /// them as parameters, as the server's prepared statement does (an expression in their
        /// place would be planned differently from what the server runs).
        private var randomTenant: String {
            """
            \\set r random(1, \(resellers))
            SELECT '00000000-0000-4000-8000-' || lpad(:r::text, 12, '0') AS tenant, '00000000-0000-4000-9000-' || lpad(:r::text, 12, '0') AS company \\gset
            """
        }

        private var randomPage: String {
            Dataset.oneLine(EmployeeRepository.selectSQL(tenant: ":tenant::uuid", filter: "e.customer_id = :company::uuid", limit: "51")) + ";"
        }

        /// A page of a random reseller's employees as the server reads it (the tenant named in the
        /// query) as `role`, nil keeping the session's own. As `sb_reseller` the policy checks the
        /// tenant too; as `rlsBypassRole` (the reseller role's privileges and BYPASSRLS) only the
        /// policies are missing; as the superuser privilege checks are skipped as well.
        func randomPageScript(role: String?) -> String {
            """
            \(randomTenant)
            BEGIN;
            \(settings(role: role, reseller: ":tenant"))
            \(randomPage)
            COMMIT;
            """
        }

        /// The measured customer's first page read 2,000 times in one session by a PL/pgSQL loop
        /// as `role`, after 20 to settle the plan: the server's time per page alone, without the
        /// client, the network or other statements, printed as `page_us=<microseconds>`.
        func serverLoopScript(role: String) -> String {
            let page = EmployeeRepository.selectSQL(tenant: "bench_tenant", filter: "e.customer_id = bench_company", limit: "51")
            return """
                BEGIN;
                \(settings(role: role, reseller: "'\(measuredReseller)'"))
                DO $$
                DECLARE
                    bench_tenant uuid := '\(measuredReseller)';
                    bench_company uuid := '\(measuredCustomer)';
                    started timestamptz;
                    row record;
                BEGIN
                    FOR i IN 1..20 LOOP FOR row IN \(page) LOOP END LOOP; END LOOP;
                    started := clock_timestamp();
                    FOR i IN 1..2000 LOOP FOR row IN \(page) LOOP END LOOP; END LOOP;
                    RAISE NOTICE 'page_us=%', round(extract(epoch FROM clock_timestamp() - started) * 1e6 / 2000);
                END $$;
                COMMIT;
                """
        }
    }

    /// pgbench reads one statement per line.
    static func oneLine(_ sql: String) -> String {
        sql.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    /// The reseller role's privileges with row-level security bypassed: RLS's own cost is the
    /// reseller role's page ÷ this role's page. Created in the benchmark's private cluster only.
    static let rlsBypassRole = "sb_bench_rls_off"

    static func seed(_ plan: Plan, on connection: PostgresConnection, logger: Logger) async throws -> Seeded {
        func exec(_ sql: String) async throws {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
        try await exec("""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(rlsBypassRole)') THEN
                    CREATE ROLE \(rlsBypassRole) NOLOGIN BYPASSRLS IN ROLE \(Role.reseller.databaseRole);
                    GRANT \(rlsBypassRole) TO \(DatabaseTarget.applicationRole);
                END IF;
            END $$
            """)
        let reseller = { (i: String) in "('00000000-0000-4000-8000-' || lpad(\(i)::text, 12, '0'))::uuid" }
        let customer = { (i: String) in "('00000000-0000-4000-9000-' || lpad(\(i)::text, 12, '0'))::uuid" }
        let measuredReseller = "00000000-0000-4000-8000-000000000001"
        let measuredCustomer = "00000000-0000-4000-9000-000000000001"
        try await exec("INSERT INTO sb.resellers (id, name) SELECT \(reseller("i")), 'Reseller ' || i FROM generate_series(1, \(plan.resellers)) i")
        try await exec("INSERT INTO sb.dpa_acceptances (reseller_id, id, version, accepted_by) SELECT id, gen_random_uuid(), sb.current_dpa_version(), gen_random_uuid() FROM sb.resellers")
        try await exec("INSERT INTO sb.customers (reseller_id, id, name) SELECT \(reseller("i")), \(customer("i")), 'Customer ' || i FROM generate_series(1, \(plan.resellers)) i")
        try await exec("INSERT INTO sb.customers (reseller_id, id, name) SELECT '\(measuredReseller)', gen_random_uuid(), 'Extra customer ' || i FROM generate_series(1, 199) i")
        try await exec("""
            INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension, email)
            SELECT \(reseller("r")), \(customer("r")), gen_random_uuid(), 'Employee ' || r || '-' || e, lpad(e::text, 6, '0'), 'e' || e || '@r' || r || '.example'
            FROM generate_series(1, \(plan.resellers)) r, generate_series(1, \(plan.employeesPerReseller)) e
            """)
        try await exec("""
            INSERT INTO sb.number_assignments (reseller_id, customer_id, employee_id, id, number)
            SELECT reseller_id, customer_id, id, gen_random_uuid(), '+4530' || lpad((row_number() OVER ())::text, 6, '0')
            FROM sb.employees WHERE customer_id = '\(measuredCustomer)'
            """)
        try await exec("""
            INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension)
            SELECT '\(measuredReseller)', '\(measuredCustomer)', gen_random_uuid(), 'Anonymise target ' || i, '9' || lpad(i::text, 4, '0')
            FROM generate_series(1, \(plan.anonymiseSamples)) i
            """)
        try await exec("""
            INSERT INTO sb.employee_content (employee_id, id, kind, content_type, byte_size, data, caller_number)
            SELECT t.id, gen_random_uuid(), (ARRAY['voicemail', 'greeting', 'recording'])[1 + i % 3], 'audio/wav', 1024,
                   decode(repeat('ab', 1024), 'hex'), '+4512345678'
            FROM sb.employees t, generate_series(1, \(plan.contentItems)) i
            WHERE t.customer_id = '\(measuredCustomer)' AND t.full_name LIKE 'Anonymise target %'
            """)
        let secret = "sbr_benchmark_key_" + UUID().uuidString.lowercased()
        let keyID = UUID().uuidString.lowercased()
        try await exec("""
            INSERT INTO sb.reseller_api_keys (reseller_id, id, name, secret_hash, display_prefix, created_by)
            VALUES ('\(measuredReseller)', '\(keyID)', 'bench', '\\x\(Credentials.hash(secret))', 'sbr_bench', gen_random_uuid())
            """)
        try await exec("ANALYZE")
        let targets = try await connection.query(
            "SELECT id::text FROM sb.employees WHERE customer_id = \(UUID(uuidString: measuredCustomer)!) AND full_name LIKE 'Anonymise target %' ORDER BY id",
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        return Seeded(resellerKey: secret, keyID: keyID, measuredReseller: measuredReseller, measuredCustomer: measuredCustomer,
                      anonymiseTargets: targets, resellers: plan.resellers)
    }
}
