import Foundation
import Logging
import PostgresNIO

/// The embedded key store: wrapped data keys in a PostgreSQL database of their own
/// (`switchboard_keys` beside the private cluster's `switchboard`, or SWITCHBOARD_KEYSTORE_URL).
///
/// Operational rule: back this database up on its own schedule and keep those backups for less
/// than the erasure deadline (30 days), so an erased person's key is gone from every copy within
/// it, while backups of the main database may be kept as long as needed: they hold only sealed content.
public struct PostgresKeyStore: KeyStore {
    let client: PostgresClient
    let kek: KeyEncryptionKey
    /// The schema's name (tests keep one schema per test database), and quoted for SQL.
    let schemaName: String
    let schema: String
    let logger: Logger

    public static let defaultSchema = "keystore"

    public init(client: PostgresClient, kek: KeyEncryptionKey, schema: String = defaultSchema, logger: Logger) {
        self.client = client
        self.kek = kek
        self.schemaName = schema
        self.schema = Self.quoted(schema)
        self.logger = logger
    }

    /// The same store opened with another key-encryption key (after a rotation).
    public func using(_ kek: KeyEncryptionKey) -> PostgresKeyStore {
        PostgresKeyStore(client: client, kek: kek, schema: schemaName, logger: logger)
    }

    /// Creates the store's tables if missing and lets `role` use them (as the admin, once per start).
    public static func prepare(on connection: PostgresConnection, schema: String = defaultSchema, grantTo role: String, logger: Logger) async throws {
        let s = quoted(schema), r = quoted(role)
        for statement in [
            "CREATE SCHEMA IF NOT EXISTS \(s)",
            // not tenant data: data_keys (one wrapped content key per person; kept out of the main database and its backups)
            """
            CREATE TABLE IF NOT EXISTS \(s).data_keys (
                subject_id uuid PRIMARY KEY,
                kek_id text NOT NULL,
                wrapped bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                rewrapped_at timestamptz
            )
            """,
            // The tombstones: a destroyed key is never made again, and the record says when and why.
            """
            CREATE TABLE IF NOT EXISTS \(s).destroyed_keys (
                subject_id uuid PRIMARY KEY,
                reason text NOT NULL CHECK (length(reason) <= 100),
                destroyed_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            // A destroyed key can never be stored again, whatever writes the table.
            """
            CREATE OR REPLACE FUNCTION \(s).refuse_destroyed_keys() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM \(s).destroyed_keys d WHERE d.subject_id = NEW.subject_id) THEN
                    RAISE EXCEPTION 'the content key of % was destroyed', NEW.subject_id USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            "CREATE OR REPLACE TRIGGER refuse_destroyed_keys BEFORE INSERT OR UPDATE OF subject_id ON \(s).data_keys FOR EACH ROW EXECUTE FUNCTION \(s).refuse_destroyed_keys()",
            "GRANT USAGE ON SCHEMA \(s) TO \(r)",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON \(s).data_keys TO \(r)",
            "GRANT SELECT, INSERT ON \(s).destroyed_keys TO \(r)",
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    /// Fails when any stored key was wrapped by another KEK than the configured one: a server
    /// started with the wrong key must stop at once, not fail every content request.
    public func checkKeyEncryptionKey() async throws {
        try await client.withConnection { connection in
            try await Self.checkKeyEncryptionKey(kek, schema: schemaName, on: connection, logger: logger)
        }
    }

    /// The same check on a connection of the caller's (at start, before the pool runs).
    public static func checkKeyEncryptionKey(_ kek: KeyEncryptionKey, schema: String = defaultSchema, on connection: PostgresConnection, logger: Logger) async throws {
        var bindings = PostgresBindings()
        bindings.append(kek.id)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT kek_id FROM \(quoted(schema)).data_keys WHERE kek_id <> $1 LIMIT 1", binds: bindings), logger: logger)
        for try await found in rows.decode(String.self) {
            throw KeyStoreError.wrongKeyEncryptionKey(expected: kek.id, found: found)
        }
    }

    public func existingDataKey(for subject: UUID) async throws -> DataKey? {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: """
                SELECT k.kek_id, k.wrapped, d.subject_id IS NOT NULL
                FROM (SELECT $1::uuid AS subject_id) s
                LEFT JOIN \(schema).data_keys k ON k.subject_id = s.subject_id
                LEFT JOIN \(schema).destroyed_keys d ON d.subject_id = s.subject_id
                """, binds: try binds(subject)),
            logger: logger
        )
        for try await (kekID, wrapped, destroyed) in rows.decode((String?, ByteBuffer?, Bool).self) {
            if destroyed { throw KeyStoreError.destroyed(subject) }
            guard let kekID, let wrapped else { return nil }
            return try unwrap(Array(buffer: wrapped), kekID: kekID, subject: subject)
        }
        return nil
    }

    public func dataKey(for subject: UUID) async throws -> DataKey {
        if let key = try await existingDataKey(for: subject) { return key }
        let fresh = DataKey.generate()
        let wrapped = fresh.wrapped(under: kek, subject: subject)
        // Under the subject's lock, so a key is never made beside a destruction in flight. The
        // outcome leaves the transaction as a value: what a transaction's body throws comes back
        // wrapped in PostgresNIO's transaction error.
        enum Made { case key(String, ByteBuffer), destroyed, missing }
        let made = try await client.withTransaction(logger: logger) { connection -> Made in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(subject.uuidString), 7))", logger: logger)
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: """
                    WITH tomb AS (SELECT 1 FROM \(schema).destroyed_keys WHERE subject_id = $1),
                    made AS (
                        INSERT INTO \(schema).data_keys (subject_id, kek_id, wrapped)
                        SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM tomb)
                        ON CONFLICT (subject_id) DO NOTHING
                        RETURNING kek_id, wrapped
                    )
                    SELECT kek_id, wrapped, false FROM made
                    UNION ALL SELECT kek_id, wrapped, false FROM \(schema).data_keys WHERE subject_id = $1
                    UNION ALL SELECT NULL, NULL, true FROM tomb
                    """, binds: try binds(subject, kek.id, ByteBuffer(bytes: wrapped))),
                logger: logger
            )
            for try await (kekID, stored, destroyed) in rows.decode((String?, ByteBuffer?, Bool).self) {
                if destroyed { return .destroyed }
                if let kekID, let stored { return .key(kekID, stored) }
            }
            return .missing
        }
        switch made {
        case .key(let kekID, let stored): return try unwrap(Array(buffer: stored), kekID: kekID, subject: subject)
        case .destroyed: throw KeyStoreError.destroyed(subject)
        case .missing: throw KeyStoreError.corrupt(subject)
        }
    }

    @discardableResult
    public func destroyDataKeys(of subjects: [UUID], reason: String) async throws -> Int {
        guard !subjects.isEmpty else { return 0 }
        let ordered = Array(Set(subjects)).sorted { $0.uuidString < $1.uuidString }
        return try await client.withTransaction(logger: logger) { connection in
            for subject in ordered {
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(subject.uuidString), 7))", logger: logger)
            }
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: """
                    WITH gone AS (DELETE FROM \(schema).data_keys WHERE subject_id = ANY($1) RETURNING subject_id),
                    tomb AS (
                        INSERT INTO \(schema).destroyed_keys (subject_id, reason) SELECT unnest($1::uuid[]), $2
                        ON CONFLICT (subject_id) DO NOTHING
                    )
                    SELECT count(*)::bigint FROM gone
                    """, binds: try binds(ordered, reason)),
                logger: logger
            )
            var count = 0
            for try await n in rows.decode(Int64.self) { count = Int(n) }
            return count
        }
    }

    public func rewrapAll(to newKey: KeyEncryptionKey) async throws -> Int {
        // A key that does not unwrap rolls the whole rotation back, and is reported as itself.
        try await client.withTransaction(logger: logger) { connection -> Result<Int, KeyStoreError> in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT subject_id, kek_id, wrapped FROM \(schema).data_keys ORDER BY subject_id FOR UPDATE"), logger: logger
            )
            var rewrapped: [(UUID, [UInt8])] = []
            for try await (subject, kekID, wrapped) in rows.decode((UUID, String, ByteBuffer).self) {
                if kekID == newKey.id { continue }  // an interrupted rotation already moved it
                guard let key = try? unwrap(Array(buffer: wrapped), kekID: kekID, subject: subject) else {
                    return Result<Int, KeyStoreError>.failure(kekID == kek.id ? .corrupt(subject) : .wrongKeyEncryptionKey(expected: kek.id, found: kekID))
                }
                rewrapped.append((subject, key.wrapped(under: newKey, subject: subject)))
            }
            for chunk in stride(from: 0, to: rewrapped.count, by: 1000).map({ Array(rewrapped[$0..<min($0 + 1000, rewrapped.count)]) }) {
                try await connection.query(
                    PostgresQuery(unsafeSQL: """
                        UPDATE \(schema).data_keys k SET wrapped = n.wrapped, kek_id = $3, rewrapped_at = now()
                        FROM unnest($1::uuid[], $2::bytea[]) AS n (subject_id, wrapped) WHERE k.subject_id = n.subject_id
                        """, binds: try binds(chunk.map(\.0), chunk.map { ByteBuffer(bytes: $0.1) }, newKey.id)),
                    logger: logger
                )
            }
            return .success(rewrapped.count)
        }.get()
    }

    private func unwrap(_ wrapped: [UInt8], kekID: String, subject: UUID) throws -> DataKey {
        guard kekID == kek.id else { throw KeyStoreError.wrongKeyEncryptionKey(expected: kek.id, found: kekID) }
        do {
            return try DataKey(unwrapping: wrapped, under: kek, subject: subject)
        } catch {
            throw KeyStoreError.corrupt(subject)
        }
    }

    private func binds(_ values: any PostgresEncodable...) throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try bindings.append(value) }
        return bindings
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
