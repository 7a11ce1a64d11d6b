import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// A reseller's customers. The policies scope every query; the list also names its tenant
/// (`sb.statement_tenant`, migration 0039), so a Citus coordinator routes it to the one shard
/// holding that reseller (the policies stay the second layer, and the two must agree for a row to
/// be seen).
public struct CustomerRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// Metadata only (the platform's column grants), or everything (the reseller and its customers).
    let view: CustomerView
    /// The reseller whose customers these are; nil for the platform, which lists across resellers.
    let tenant: UUID?

    public init(_ connection: PostgresConnection, logger: Logger, view: CustomerView, tenant: UUID? = nil) {
        self.connection = connection
        self.logger = logger
        self.view = view
        self.tenant = tenant
    }

    /// Everything (the reseller and its customers), or metadata only (the platform's column grants).
    public static let fullColumns = "reseller_id, id, name, cvr, external_ref, status, terminated_at, purge_started_at, purged_at, extension_min_length::int, extension_max_length::int, created_at, updated_at, version"
    public static let metadataColumns = "reseller_id, id, name, NULL::text, NULL::text, status, terminated_at, purge_started_at, purged_at, NULL::int, NULL::int, created_at, updated_at, version"

    var columns: String { view == .metadata ? Self.metadataColumns : Self.fullColumns }

    public func create(resellerID: UUID, id: UUID, name: String, cvr: String?, externalRef: String?, extensionLengths: ClosedRange<Int> = 2...6) async throws -> CustomerRecord {
        let rows = try await connection.query(
            """
            INSERT INTO sb.customers (reseller_id, id, name, cvr, external_ref, extension_min_length, extension_max_length)
            VALUES (\(resellerID), \(id), \(name), \(cvr), \(externalRef), \(extensionLengths.lowerBound), \(extensionLengths.upperBound))
            RETURNING \(unescaped: columns)
            """,
            logger: logger
        )
        return try await Self.decode(rows).first!
    }

    public func get(_ id: UUID) async throws -> CustomerRecord? {
        let rows = view == .metadata
            ? try await connection.execute(CustomerMetadataByID(id: id), logger: logger)
            : try await connection.execute(CustomerByID(id: id), logger: logger)
        for try await record in rows { return record }
        return nil
    }

    /// In id order (ids are time-ordered); the policy's tenant condition meets the (reseller_id, id) key.
    public func list(after cursor: UUID?, limit: Int) async throws -> Page<CustomerRecord, UUID> {
        let rows = switch (view, tenant) {
        case (.metadata, _): try await connection.execute(CustomerMetadataPage(cursor: cursor, limit: limit + 1), logger: logger)
        case (.full, let tenant?): try await connection.execute(TenantCustomerPage(tenant: tenant, cursor: cursor, limit: limit + 1), logger: logger)
        case (.full, nil): try await connection.execute(CustomerPage(cursor: cursor, limit: limit + 1), logger: logger)
        }
        var records: [CustomerRecord] = []
        for try await record in rows { records.append(record) }
        return Page(fetched: records, limit: limit, key: \.id)
    }

    public func update(_ id: UUID, _ changes: CustomerChanges, expectedVersion: Int?) async throws -> CustomerRecord {
        let rows = try await connection.query(
            """
            UPDATE sb.customers SET
                name = coalesce(\(changes.name), name),
                cvr = CASE WHEN \(changes.cvr)::text IS NULL THEN cvr ELSE nullif(\(changes.cvr), '') END,
                external_ref = CASE WHEN \(changes.externalRef)::text IS NULL THEN external_ref ELSE nullif(\(changes.externalRef), '') END,
                extension_min_length = coalesce(\(changes.extensionLengths?.lowerBound)::int, extension_min_length),
                extension_max_length = coalesce(\(changes.extensionLengths?.upperBound)::int, extension_max_length),
                updated_at = now(),
                version = version + 1
            WHERE id = \(id) AND (\(expectedVersion)::int IS NULL OR version = \(expectedVersion))
            RETURNING \(unescaped: columns)
            """,
            logger: logger
        )
        return try await updated(rows, id: id)
    }

    /// Terminating twice keeps the first termination time.
    public func terminate(_ id: UUID) async throws -> (record: CustomerRecord, changed: Bool) {
        let rows = try await connection.query(
            """
            UPDATE sb.customers SET status = 'terminated', terminated_at = now(), updated_at = now(), version = version + 1
            WHERE id = \(id) AND status <> 'terminated'
            RETURNING \(unescaped: columns)
            """,
            logger: logger
        )
        if let record = try await Self.decode(rows).first {
            try await CredentialChangeNotice.announce(on: connection, logger: logger)
            return (record, true)
        }
        guard let current = try await get(id) else { throw StoreError.notFound }
        return (current, false)
    }

    /// Undoes a termination until the purge starts; nil when the customer was active already.
    /// A started purge is refused by the database itself (`sb.customer_purge_is_final`).
    public func reactivate(_ id: UUID) async throws -> (record: CustomerRecord, changed: Bool) {
        guard let current = try await get(id) else { throw StoreError.notFound }
        if current.purgeStartedAt != nil { throw StoreError.purgeStarted }
        let rows = try await connection.query(
            """
            UPDATE sb.customers SET status = 'active', terminated_at = NULL, updated_at = now(), version = version + 1
            WHERE id = \(id) AND status = 'terminated' AND purge_started_at IS NULL
            RETURNING \(unescaped: columns)
            """,
            logger: logger
        )
        if let record = try await Self.decode(rows).first { return (record, true) }
        guard let after = try await get(id) else { throw StoreError.notFound }
        if after.purgeStartedAt != nil { throw StoreError.purgeStarted }
        return (after, false)
    }

    private func updated(_ rows: PostgresRowSequence, id: UUID) async throws -> CustomerRecord {
        if let record = try await Self.decode(rows).first { return record }
        guard let current = try await get(id) else { throw StoreError.notFound }
        throw StoreError.versionMismatch(current: current.version)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [CustomerRecord] {
        var records: [CustomerRecord] = []
        for try await row in rows { records.append(try record(row)) }
        return records
    }

    static func record(_ row: PostgresRow) throws -> CustomerRecord {
        var columns = RowColumns(row)
        let record = try CustomerRecord(resellerID: columns.next(), id: columns.next(), name: columns.next(), cvr: columns.next(),
                                        externalRef: columns.next(), status: columns.next(), terminatedAt: columns.next(),
                                        purgeStartedAt: columns.next(), purgedAt: columns.next(), extensionMinLength: columns.next(), extensionMaxLength: columns.next(),
                                        createdAt: columns.next(), updatedAt: columns.next(), version: columns.next())
        try columns.finish()
        return record
    }
}

// Every customer list and every lookup of one customer reads these: prepared once per connection
// instead of parsed and planned each time. Each column set has its own statement, as each is read
// by its own roles (a plan made under one role is re-planned under another).

/// A page of customers after `cursor`; `limit` is one more than the page, to tell whether another follows.
protocol CustomerPageStatement: PostgresPreparedStatement where Row == CustomerRecord {
    var cursor: UUID? { get }
    var limit: Int { get }
}

extension CustomerPageStatement {
    static var bindingDataTypes: [PostgresDataType] { [.uuid, .uuid, .int8] }

    static func selectSQL(columns: String) -> String {
        "SELECT \(columns) FROM sb.customers WHERE $1::uuid IS NULL OR id > $2 ORDER BY id LIMIT $3"
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(cursor)
        bindings.append(cursor)
        bindings.append(limit)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> CustomerRecord { try CustomerRepository.record(row) }
}

struct CustomerPage: CustomerPageStatement {
    static let sql = selectSQL(columns: CustomerRepository.fullColumns)
    let cursor: UUID?
    let limit: Int
}

/// The same page with the tenant named, for a single-shard plan on Citus.
struct TenantCustomerPage: PostgresPreparedStatement {
    static let sql = "SELECT \(CustomerRepository.fullColumns) FROM sb.customers WHERE reseller_id = sb.statement_tenant($1) AND ($2::uuid IS NULL OR id > $3) ORDER BY id LIMIT $4"
    static var bindingDataTypes: [PostgresDataType] { [.uuid, .uuid, .uuid, .int8] }
    let tenant: UUID
    let cursor: UUID?
    let limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(tenant)
        bindings.append(cursor)
        bindings.append(cursor)
        bindings.append(limit)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> CustomerRecord { try CustomerRepository.record(row) }
}

struct CustomerMetadataPage: CustomerPageStatement {
    static let sql = selectSQL(columns: CustomerRepository.metadataColumns)
    let cursor: UUID?
    let limit: Int
}

protocol CustomerByIDStatement: PostgresPreparedStatement where Row == CustomerRecord {
    var id: UUID { get }
}

extension CustomerByIDStatement {
    static var bindingDataTypes: [PostgresDataType] { [.uuid] }

    static func selectSQL(columns: String) -> String { "SELECT \(columns) FROM sb.customers WHERE id = $1" }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> CustomerRecord { try CustomerRepository.record(row) }
}

struct CustomerByID: CustomerByIDStatement {
    static let sql = selectSQL(columns: CustomerRepository.fullColumns)
    let id: UUID
}

struct CustomerMetadataByID: CustomerByIDStatement {
    static let sql = selectSQL(columns: CustomerRepository.metadataColumns)
    let id: UUID
}
