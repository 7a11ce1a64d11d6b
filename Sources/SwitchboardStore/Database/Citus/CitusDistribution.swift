import Logging
import PostgresNIO

/// What `switchboard migrate` does on a database with the `citus` extension (DESIGN §12, issue 18);
/// on plain PostgreSQL nothing of it runs.
///
/// - Before the migrations: Citus opens its connections to the workers as the current role, so the
///   scoped roles a migration or a request switches to must be able to log in (the workers'
///   `pg_hba.conf` admits them only from the coordinator, see `deploy/citus/`). Objects a migration
///   creates stay on the coordinator until a distributed table needs them
///   (`citus.create_object_propagation = deferred`): a migration that creates a schema as the admin
///   and then fills it as `sb_owner` would otherwise send the second part over a connection that
///   cannot see the first.
/// - After them, ``distribute(on:logger:)``: every tenant table is distributed by `reseller_id`,
///   co-located with `sb.resellers`; the platform's catalogues and the uniqueness registries become
///   reference tables; the audit trail is distributed by its chain (the platform's own chain has no
///   reseller); CDRs and telemetry by their batch; the webhook outbox by reseller in a group of its own. Idempotent: what is distributed already is left.
public enum CitusDistribution {
    /// Roles a request or a migration switches to; each needs LOGIN on a Citus cluster.
    static let scopedRoles = ["sb_owner", "sb_platform", "sb_reseller", "sb_customer", "sb_telephony", "sb_authenticator", "sb_retention"]

    /// Tables with a `reseller_id` that are nevertheless replicated to every node: the registries of
    /// values unique across the platform (migration 0021).
    static let referenceTablesWithReseller = ["sb.number_registry", "sb.sim_registry", "sb.hostname_registry"]

    /// Tables distributed by another column than `reseller_id`, each with what it is co-located with.
    static let otherDistributions: [(table: String, column: String, colocateWith: String)] = [
        // reseller_id is NULL on the platform's own chain; one chain lives on one shard with its head.
        ("sb.audit_events", "chain", "none"),
        ("sb.audit_chain_heads", "chain", "sb.audit_events"),
        // Ingested by COPY, a batch at a time, before the reseller is known.
        ("platform.cdrs", "batch_id", "none"),
        ("platform.telemetry_events", "batch_id", "platform.cdrs"),
        // By reseller, but in a co-location group of their own: the outbox function writes them as
        // the owner inside a request's transaction, and Citus refuses a transaction that reaches
        // one shard group as two roles (the request's writes, then the owner's). Apart from the
        // tenant tables, the two never meet on one placement (migration 0033).
        ("sb.webhook_subscriptions", "reseller_id", "none"),
        ("sb.webhook_deliveries", "reseller_id", "sb.webhook_subscriptions"),
    ]

    public static func isPresent(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
    }

    /// For the migrating session, before the first migration.
    static func prepareMigrationSession(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SET citus.create_object_propagation = 'deferred'", logger: logger)
    }

    /// Lets every scoped role that exists log in (Citus propagates ALTER ROLE to the workers).
    static func letScopedRolesLogIn(on connection: PostgresConnection, logger: Logger) async throws {
        let existing = try await connection.query("SELECT rolname::text FROM pg_roles WHERE rolname = ANY(\(scopedRoles)) AND NOT rolcanlogin", logger: logger)
            .collect().map { try $0.decode(String.self) }
        for role in existing {
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(role) LOGIN"), logger: logger)
            logger.info("citus: scoped role may log in (the workers' pg_hba.conf admits it from the coordinator only)", metadata: ["role": "\(role)"])
        }
    }

    /// Distributes what is not distributed yet; returns how many tables it distributed now.
    @discardableResult
    public static func distribute(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("SET citus.enable_unsafe_triggers = on", logger: logger)
        try await connection.query("SET citus.multi_shard_modify_mode = 'sequential'", logger: logger)
        try await letScopedRolesLogIn(on: connection, logger: logger)
        // Triggers fire on the shards, and some policies' functions read co-located tables there.
        let database = try await connection.query("SELECT current_database()::text", logger: logger).collect().first!.decode(String.self)
        // Not citus.propagate_set_commands: sb_enter_scope turns it on after switching role.
        for setting in ["citus.enable_unsafe_triggers = on", "citus.allow_nested_distributed_execution = on"] {
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(quoted(database)) SET \(setting)"), logger: logger)
        }
        try await connection.query(Self.routingStatementTenant, logger: logger)
        // Policies need their functions on every node before the tables are distributed. Functions
        // taking a table's row type can follow only after it; a function whose body Citus cannot
        // create yet is retried after the tables (one statement each: a failure aborts only itself).
        try await distributeFunctions(on: connection, logger: logger)
        let pending = try await connection.query(Self.undistributedTables, logger: logger).collect().count
        if pending > 0 {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in Self.distributionTransaction {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw MigrationError.failed(fileName: "citus distribution", message: MigrationRunner.describe(error))
            }
        }
        let missing = try await distributeFunctions(on: connection, logger: logger)
        if !missing.isEmpty {
            throw MigrationError.failed(fileName: "citus distribution", message: "functions not created on the workers: \(missing.joined(separator: ", "))")
        }
        logger.notice("citus: tables distributed", metadata: ["distributed_now": "\(pending)"])
        return pending
    }

    /// A statement's tenant is the id it binds, which Citus routes by (migration 0039 answers the
    /// scope's tenant instead, for one database's planner). Replaced on every run: a database
    /// migrated before it had Citus gets the routing form too.
    static let routingStatementTenant: PostgresQuery = """
        CREATE OR REPLACE FUNCTION sb.statement_tenant(requested uuid) RETURNS uuid
            LANGUAGE sql STABLE PARALLEL SAFE
            AS $$ SELECT requested $$
        """

    /// Sends every function of `sb` and `platform` not yet known to Citus to the workers, one at a
    /// time; returns those that could not be created there yet.
    @discardableResult
    static func distributeFunctions(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let functions = try await connection.query("""
            SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace IN ('sb'::regnamespace, 'platform'::regnamespace) AND p.prokind = 'f'
              AND p.oid NOT IN (SELECT objid FROM pg_catalog.pg_dist_object WHERE classid = 'pg_proc'::regclass)
            ORDER BY 1
            """, logger: logger).collect().map { try $0.decode(String.self) }
        var missing: [String] = []
        for function in functions {
            do {
                try await connection.query("SELECT create_distributed_function(\(function)::regprocedure)", logger: logger)
            } catch {
                missing.append(function)
            }
        }
        return missing
    }

    static let undistributedTables: PostgresQuery = """
        SELECT c.oid FROM pg_class c
        WHERE c.relnamespace IN ('sb'::regnamespace, 'platform'::regnamespace) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.oid NOT IN (SELECT logicalrelid FROM pg_dist_partition)
        """

    /// One transaction: foreign keys are set aside (Citus can distribute a table only when the
    /// tables it references and those referencing it are distributed alike), every table is
    /// distributed, and the keys come back. `ON DELETE SET NULL` comes back as a plain key: Citus
    /// refuses it where the distribution column is part of the key, and the server clears those
    /// links itself before it deletes a person.
    static var distributionTransaction: [String] {
        let others = otherDistributions.map { entry in
            "SELECT create_distributed_table('\(entry.table)', '\(entry.column)', colocate_with => '\(entry.colocateWith)') "
                + "WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = '\(entry.table)'::regclass)"
        }
        let references = referenceTablesWithReseller.map { "'\($0)'" }.joined(separator: ", ")
        return [
            // Names print schema-qualified, so they mean the same when read back.
            "SET LOCAL search_path = pg_catalog",
            """
            CREATE TEMPORARY TABLE citus_set_aside_keys ON COMMIT DROP AS
            SELECT conrelid::regclass::text AS relation, conname::text AS name, pg_get_constraintdef(oid) AS definition
            FROM pg_constraint
            WHERE contype = 'f' AND connamespace IN ('sb'::regnamespace, 'platform'::regnamespace) AND conparentid = 0
              AND conrelid NOT IN (SELECT logicalrelid FROM pg_dist_partition)
            """,
            """
            DO $$ DECLARE k record; BEGIN
                FOR k IN SELECT * FROM citus_set_aside_keys LOOP
                    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.relation, k.name);
                END LOOP;
            END $$
            """,
            "SELECT create_distributed_table('sb.resellers', 'id') WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'sb.resellers'::regclass)",
        ] + others + [
            """
            DO $$ DECLARE t record; BEGIN
                FOR t IN
                    SELECT c.oid::regclass::text AS name,
                           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'reseller_id' AND NOT a.attisdropped) AS tenant
                    FROM pg_class c
                    WHERE c.relnamespace IN ('sb'::regnamespace, 'platform'::regnamespace) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                      AND c.oid NOT IN (SELECT logicalrelid FROM pg_dist_partition)
                    ORDER BY 1
                LOOP
                    IF t.tenant AND t.name NOT IN (\(references)) THEN
                        PERFORM create_distributed_table(t.name, 'reseller_id', colocate_with => 'sb.resellers');
                    ELSE
                        PERFORM create_reference_table(t.name);
                    END IF;
                END LOOP;
            END $$
            """,
            """
            DO $$ DECLARE k record; BEGIN
                FOR k IN SELECT * FROM citus_set_aside_keys LOOP
                    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.relation, k.name,
                                   regexp_replace(k.definition, ' ON DELETE SET NULL( \\([^)]*\\))?', ''));
                END LOOP;
            END $$
            """,
        ]
    }

    private static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
