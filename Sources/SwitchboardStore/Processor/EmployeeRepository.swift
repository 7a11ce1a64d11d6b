import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Customers' employees and everything held about them, in one reseller's scope. Every statement
/// names that reseller (`reseller_id = sb.statement_tenant(tenant)`, migration 0039): on Citus the
/// bound id routes it to the one shard group holding the tenant; on one database the function
/// answers the scope's reseller, the policies' own condition, so the planner holds a single one.
/// The policies narrow it to the caller's reseller or company (both must agree for a row to be seen).
public struct EmployeeRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// The reseller whose employees these are: the caller's own, the one its scope names.
    let tenant: UUID

    public init(_ connection: PostgresConnection, logger: Logger, tenant: UUID) {
        self.connection = connection
        self.logger = logger
        self.tenant = tenant
    }

    /// The employees `filter` selects, at most `limit` of them in id order, each with its current
    /// numbers, SIMs and fax-to-mail as parallel arrays, so a page is one round trip. Every array
    /// of a child is aggregated in the same total order (time, then id), so their elements pair up.
    /// Plain columns, not a JSON document per row: decoding that JSON again in the server cost more
    /// than PostgreSQL took to build it.
    /// `tenant` is the placeholder of the reseller's id, named in every table's condition through
    /// `sb.statement_tenant`: on Citus a join routes to one shard group only when each side names
    /// the tenant itself.
    /// Each child table is read once for the whole page (its rows whose holder is one of the page's
    /// ids), not once per employee: under row-level security every scan of a table checks the
    /// policy's setting against the tenant, and a lateral read per row checked it 150 times a page.
    public static func selectSQL(tenant: String, filter: String, limit: String) -> String {
        """
        WITH page AS (SELECT * FROM sb.employees e WHERE e.reseller_id = sb.statement_tenant(\(tenant)) AND \(filter) ORDER BY e.id LIMIT \(limit))
        SELECT e.id, e.reseller_id, e.customer_id, e.full_name, e.email, e.mobile, e.extension, e.directory_listing,
               e.marketing_consent, e.restricted_at, e.restriction_reason, e.anonymised_at, e.created_at, e.updated_at, e.version,
               n.ids, n.numbers, n.assigned, s.ids, s.iccids, s.assigned, f.ids, f.fax_numbers, f.emails, f.created
        FROM page e
        LEFT JOIN (
            SELECT employee_id, array_agg(id ORDER BY assigned_at, id) AS ids, array_agg(number ORDER BY assigned_at, id) AS numbers,
                   array_agg(assigned_at ORDER BY assigned_at, id) AS assigned
            FROM sb.number_assignments
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = ANY (ARRAY(SELECT id FROM page)) AND released_at IS NULL
            GROUP BY employee_id) n ON n.employee_id = e.id
        LEFT JOIN (
            SELECT employee_id, array_agg(id ORDER BY assigned_at, id) AS ids, array_agg(iccid ORDER BY assigned_at, id) AS iccids,
                   array_agg(assigned_at ORDER BY assigned_at, id) AS assigned
            FROM sb.sim_cards
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = ANY (ARRAY(SELECT id FROM page)) AND released_at IS NULL
            GROUP BY employee_id) s ON s.employee_id = e.id
        LEFT JOIN (
            SELECT employee_id, array_agg(id ORDER BY created_at, id) AS ids, array_agg(fax_number ORDER BY created_at, id) AS fax_numbers,
                   array_agg(delivery_email ORDER BY created_at, id) AS emails, array_agg(created_at ORDER BY created_at, id) AS created
            FROM sb.fax_to_mail
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = ANY (ARRAY(SELECT id FROM page))
            GROUP BY employee_id) f ON f.employee_id = e.id
        ORDER BY e.id
        """
    }

    static func record(_ row: PostgresRow) throws -> EmployeeRecord {
        var columns = RowColumns(row)
        var record = try EmployeeRecord(
            id: columns.next(), resellerID: columns.next(), customerID: columns.next(), fullName: columns.next(),
            email: columns.next(), mobile: columns.next(), extensionNumber: columns.next(), directoryListing: columns.next(),
            marketingConsent: columns.next(), restrictedAt: columns.next(), restrictionReason: columns.next(),
            anonymisedAt: columns.next(), createdAt: columns.next(), updatedAt: columns.next(), version: columns.next(),
            numbers: [], sims: [], faxToMail: []
        )
        record.numbers = try Self.assignments(ids: columns.next(), values: columns.next(), at: columns.next())
        record.sims = try Self.assignments(ids: columns.next(), values: columns.next(), at: columns.next())
        let (faxIDs, faxNumbers, emails, created): ([UUID]?, [String]?, [String]?, [Date]?) = try (columns.next(), columns.next(), columns.next(), columns.next())
        if let faxIDs, let faxNumbers, let emails, let created {
            try Self.checkPaired(faxIDs.count, faxNumbers.count, emails.count, created.count)
            record.faxToMail = faxIDs.indices.map { .init(id: faxIDs[$0], faxNumber: faxNumbers[$0], deliveryEmail: emails[$0], createdAt: created[$0]) }
        }
        try columns.finish()
        return record
    }

    /// Null arrays are an employee without any.
    private static func assignments(ids: [UUID]?, values: [String]?, at times: [Date]?) throws -> [EmployeeRecord.Assignment] {
        guard let ids, let values, let times else { return [] }
        try checkPaired(ids.count, values.count, times.count)
        return ids.indices.map { .init(id: ids[$0], value: values[$0], assignedAt: times[$0]) }
    }

    /// Parallel arrays from one aggregate are as long as each other; anything else is a broken query.
    private static func checkPaired(_ counts: Int...) throws {
        guard Set(counts).count == 1 else { throw RowColumns.Mismatch(description: "parallel arrays of lengths \(counts)") }
    }

    public func get(_ id: UUID) async throws -> EmployeeRecord? {
        for try await record in try await connection.execute(EmployeeByID(tenant: tenant, id: id), logger: logger) {
            return record
        }
        return nil
    }

    /// A customer's employees in creation order, optionally searched by number, extension prefix or name.
    public func list(customerID: UUID, search: EmployeeSearch, after cursor: UUID?, limit: Int) async throws -> Page<EmployeeRecord, UUID> {
        var mode = "all", term = ""
        switch search {
        case .all: break
        case .number(let number): mode = "number"; term = number
        case .extensionPrefix(let prefix): mode = "extension"; term = Self.likeEscaped(prefix) + "%"
        case .name(let name): mode = "name"; term = "%" + Self.likeEscaped(name) + "%"
        }
        let page = EmployeePage(tenant: tenant, customerID: customerID, cursor: cursor, mode: mode, term: term, limit: limit + 1)
        var records: [EmployeeRecord] = []
        for try await record in try await connection.execute(page, logger: logger) {
            records.append(record)
        }
        return Page(fetched: records, limit: limit, key: \.id)
    }

    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    /// Throws ``DataProcessingAgreementMissing`` when the policy refuses the row: in one's own
    /// company, only the data-processing-agreement gate can.
    public func create(resellerID: UUID, customerID: UUID, id: UUID, fullName: String, email: String?, mobile: String?, extensionNumber: String) async throws -> EmployeeRecord {
        do {
            try await connection.query(
                """
                INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, email, mobile, extension)
                VALUES (\(resellerID), \(customerID), \(id), \(fullName), \(email), \(mobile), \(extensionNumber))
                """,
                logger: logger
            )
        } catch {
            if case StoreError.refusedByPolicy = StoreError.classify(error) { throw DataProcessingAgreementMissing() }
            throw error
        }
        return try await get(id)!
    }

    /// Locks the employee row until the transaction ends and returns what a change must check.
    public func lock(_ id: UUID) async throws -> EmployeeLock {
        let rows = try await connection.query(
            """
            SELECT reseller_id, customer_id, restricted_at, anonymised_at, directory_listing, marketing_consent, version
            FROM sb.employees WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id) FOR UPDATE
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, UUID, Date?, Date?, DirectoryListing, Bool, Int).self) {
            return EmployeeLock(resellerID: row.0, customerID: row.1, restrictedAt: row.2, anonymisedAt: row.3,
                                directoryListing: row.4, marketingConsent: row.5, version: row.6)
        }
        throw StoreError.notFound
    }

    /// Applies `changes` (when the version still matches) and records preference changes in their history.
    public func update(_ id: UUID, _ changes: EmployeeChanges, expectedVersion: Int?, locked: EmployeeLock, by principalID: UUID, role: String) async throws -> EmployeeRecord {
        if let expectedVersion, expectedVersion != locked.version {
            throw StoreError.versionMismatch(current: locked.version)
        }
        try await connection.query(
            """
            UPDATE sb.employees SET
                full_name = coalesce(\(changes.fullName), full_name),
                email = CASE WHEN \(changes.email)::text IS NULL THEN email ELSE nullif(\(changes.email), '') END,
                mobile = CASE WHEN \(changes.mobile)::text IS NULL THEN mobile ELSE nullif(\(changes.mobile), '') END,
                extension = coalesce(\(changes.extensionNumber), extension),
                directory_listing = coalesce(\(changes.directoryListing), directory_listing),
                marketing_consent = coalesce(\(changes.marketingConsent), marketing_consent),
                updated_at = now(), version = version + 1
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)
            """,
            logger: logger
        )
        var history: [(String, String)] = []
        if let listing = changes.directoryListing, listing != locked.directoryListing { history.append(("directoryListing", listing.rawValue)) }
        if let consent = changes.marketingConsent, consent != locked.marketingConsent { history.append(("marketingConsent", String(consent))) }
        // `locked` proves this transaction holds the employee's row lock, so the next sequence number
        // cannot be taken by another change before this one commits: history is in commit order.
        for (preference, value) in history {
            try await connection.query(
                """
                INSERT INTO sb.employee_preference_history
                    (reseller_id, customer_id, employee_id, id, preference, value, changed_by, changed_by_role, changed_at, sequence)
                VALUES (\(locked.resellerID), \(locked.customerID), \(id), \(TimeOrderedID.make()), \(preference), \(value), \(principalID), \(role),
                        clock_timestamp(),
                        (SELECT coalesce(max(sequence), 0) + 1 FROM sb.employee_preference_history
                         WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id)))
                """,
                logger: logger
            )
        }
        return try await get(id)!
    }

    /// Marks a change to a part of the employee (numbers, SIMs, ...) so the ETag moves too.
    public func touch(_ id: UUID) async throws {
        try await connection.query("UPDATE sb.employees SET updated_at = now(), version = version + 1 WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)", logger: logger)
    }

    /// Deletes the employee after giving back what they hold (numbers into quarantine, SIM cards to
    /// stock, fax numbers into quarantine). The assignment history stays, without the person.
    /// Deletes the person (their content goes with the row), their content key first, as an erasure does.
    public func delete(_ id: UUID, locked: EmployeeLock, quarantine: QuarantineRule, now: Date, vault: ContentVault) async throws -> Bool {
        try await vault.erase([id], reason: "deletion")
        _ = try await releaseHoldings(of: id, resellerID: locked.resellerID, quarantine: quarantine, now: now)
        // The history keeps its rows without the person. Cut here rather than by the keys' ON DELETE
        // SET NULL, which a Citus cluster cannot keep (the tenant column is part of those keys).
        try await connection.query("UPDATE sb.number_assignments SET employee_id = NULL WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id)", logger: logger)
        try await connection.query("UPDATE sb.sim_cards SET employee_id = NULL WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id)", logger: logger)
        try await connection.query("UPDATE sb.data_subject_requests SET employee_id = NULL WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id)", logger: logger)
        let deleted = try await connection.query("DELETE FROM sb.employees WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id) RETURNING id", logger: logger).collect().isEmpty == false
        if deleted { try await connection.query("SELECT sb.request_erasure_vacuum()", logger: logger) }
        return deleted
    }

    /// A reason restricts (keeping the first restriction's time), nil lifts the restriction. Plain
    /// values per case: Citus refuses `now()` inside CASE or coalesce in an UPDATE.
    public func restrict(_ id: UUID, reason: String?) async throws {
        guard let reason else {
            try await connection.query(
                "UPDATE sb.employees SET restricted_at = NULL, restriction_reason = NULL, updated_at = now(), version = version + 1 WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)",
                logger: logger
            )
            return
        }
        let started = try await connection.query(
            """
            UPDATE sb.employees SET restricted_at = now(), restriction_reason = \(reason), updated_at = now(), version = version + 1
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id) AND restricted_at IS NULL RETURNING id
            """,
            logger: logger
        ).collect()
        guard started.isEmpty else { return }
        try await connection.query(
            "UPDATE sb.employees SET restriction_reason = \(reason), updated_at = now(), version = version + 1 WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id)", logger: logger
        )
    }

    public func preferenceHistory(_ id: UUID) async throws -> [PreferenceChange] {
        let rows = try await connection.query(
            """
            SELECT preference, value, changed_by, changed_by_role, changed_at, sequence FROM sb.employee_preference_history
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id) ORDER BY sequence
            """,
            logger: logger
        )
        var changes: [PreferenceChange] = []
        for try await row in rows.decode((String, String, UUID, String, Date, Int).self) {
            changes.append(PreferenceChange(preference: row.0, value: row.1, changedBy: row.2, changedByRole: row.3, changedAt: row.4, sequence: row.5))
        }
        return changes
    }

    // MARK: numbers, SIMs, fax-to-mail
    // Each value comes from the reseller's stock (``StockRepository``), which the caller claims
    // first in the same transaction; releasing one here says which value went, for the stock.

    public func assignNumber(_ number: String, to employeeID: UUID, locked: EmployeeLock) async throws -> UUID {
        let id = TimeOrderedID.make()
        try await connection.query(
            """
            INSERT INTO sb.number_assignments (reseller_id, customer_id, employee_id, id, number)
            VALUES (\(locked.resellerID), \(locked.customerID), \(employeeID), \(id), \(number))
            """,
            logger: logger
        )
        return id
    }

    /// Ends the assignment; nil when the employee has no such current assignment.
    public func releaseNumber(_ assignmentID: UUID, of employeeID: UUID) async throws -> String? {
        try await connection.query(
            "UPDATE sb.number_assignments SET released_at = now() WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(assignmentID) AND employee_id = \(employeeID) AND released_at IS NULL RETURNING number",
            logger: logger
        ).collect().first?.decode(String.self)
    }

    public func assignSIM(_ iccid: String, to employeeID: UUID, locked: EmployeeLock) async throws -> UUID {
        let id = TimeOrderedID.make()
        try await connection.query(
            """
            INSERT INTO sb.sim_cards (reseller_id, customer_id, employee_id, id, iccid)
            VALUES (\(locked.resellerID), \(locked.customerID), \(employeeID), \(id), \(iccid))
            """,
            logger: logger
        )
        return id
    }

    /// Ends the assignment; nil when the employee has no such current SIM card.
    public func releaseSIM(_ simID: UUID, of employeeID: UUID) async throws -> String? {
        try await connection.query(
            "UPDATE sb.sim_cards SET released_at = now() WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(simID) AND employee_id = \(employeeID) AND released_at IS NULL RETURNING iccid",
            logger: logger
        ).collect().first?.decode(String.self)
    }

    public func addFaxToMail(faxNumber: String, deliveryEmail: String, to employeeID: UUID, locked: EmployeeLock) async throws -> UUID {
        let id = TimeOrderedID.make()
        try await connection.query(
            """
            INSERT INTO sb.fax_to_mail (reseller_id, customer_id, employee_id, id, fax_number, delivery_email)
            VALUES (\(locked.resellerID), \(locked.customerID), \(employeeID), \(id), \(faxNumber), \(deliveryEmail))
            """,
            logger: logger
        )
        return id
    }

    /// Removes the route; nil when the employee has no such route.
    public func removeFaxToMail(_ faxID: UUID, of employeeID: UUID) async throws -> String? {
        try await connection.query(
            "DELETE FROM sb.fax_to_mail WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(faxID) AND employee_id = \(employeeID) RETURNING fax_number", logger: logger
        ).collect().first?.decode(String.self)
    }

    /// Ends every current assignment of the person and gives the values back to the reseller's
    /// stock: numbers and fax numbers into quarantine, SIM cards available again.
    public func releaseHoldings(of id: UUID, resellerID: UUID, quarantine: QuarantineRule, now: Date) async throws -> (numbers: [String], sims: [String], faxNumbers: [String]) {
        let numbers = try await connection.query(
            "UPDATE sb.number_assignments SET released_at = now() WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id) AND released_at IS NULL RETURNING number", logger: logger
        ).collect().map { try $0.decode(String.self) }
        let sims = try await connection.query(
            "UPDATE sb.sim_cards SET released_at = now() WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id) AND released_at IS NULL RETURNING iccid", logger: logger
        ).collect().map { try $0.decode(String.self) }
        let faxes = try await connection.query(
            "DELETE FROM sb.fax_to_mail WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id) RETURNING fax_number", logger: logger
        ).collect().map { try $0.decode(String.self) }
        let stock = StockRepository(connection, logger: logger)
        try await stock.quarantineNumbers(numbers + faxes, resellerID: resellerID, rule: quarantine, now: now)
        try await stock.releaseSIMs(sims, resellerID: resellerID, disposition: .available, now: now)
        return (numbers.sorted(), sims.sorted(), faxes.sorted())
    }

    // MARK: content

    /// Stores content sealed by ``ContentVault`` without reading anything back (the telephony role
    /// cannot read); `byteSize` is the content's own size. The row names its tenant (on Citus it is
    /// routed by it; for the telephony role ``ContentOwner/of(_:on:logger:)`` finds it); the
    /// database checks that the person belongs to it.
    public func storeContent(id: UUID, owner: ContentOwner, kind: ContentKind, contentType: String, sealed: [UInt8], byteSize: Int, callerNumber: String?, durationSeconds: Int?, recordedAt: Date?) async throws {
        try await connection.query(
            """
            INSERT INTO sb.employee_content (reseller_id, customer_id, employee_id, id, kind, content_type, byte_size, data, sealed, caller_number, duration_seconds, recorded_at)
            VALUES (\(owner.resellerID), \(owner.customerID), \(owner.employeeID), \(id), \(kind), \(contentType), \(byteSize), \(ByteBuffer(bytes: sealed)), true,
                    \(callerNumber), \(durationSeconds), coalesce(\(recordedAt), now()))
            """,
            logger: logger
        )
    }

    public func deleteContent(of employeeID: UUID, kind: ContentKind) async throws {
        try await connection.query("DELETE FROM sb.employee_content WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(employeeID) AND kind = \(kind)", logger: logger)
    }

    public func listContent(of employeeID: UUID) async throws -> [ContentItem] {
        let rows = try await connection.query(
            """
            SELECT id, kind, content_type, byte_size, caller_number, duration_seconds, recorded_at
            FROM sb.employee_content WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(employeeID) ORDER BY id
            """,
            logger: logger
        )
        var items: [ContentItem] = []
        for try await row in rows.decode((UUID, ContentKind, String, Int, String?, Int?, Date).self) {
            items.append(ContentItem(id: row.0, kind: row.1, contentType: row.2, byteSize: row.3, callerNumber: row.4, durationSeconds: row.5, recordedAt: row.6))
        }
        return items
    }

    /// The stored bytes: sealed (open them with ``ContentVault/open(_:sealed:contentID:owner:)``) or, stored before sealing, plain.
    public func fetchContent(_ contentID: UUID, of employeeID: UUID) async throws -> StoredContent? {
        let rows = try await connection.query(
            "SELECT content_type, kind, data, sealed FROM sb.employee_content WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(contentID) AND employee_id = \(employeeID)", logger: logger
        )
        for try await (contentType, kind, data, sealed) in rows.decode((String, ContentKind, ByteBuffer, Bool).self) {
            return StoredContent(id: contentID, owner: employeeID, contentType: contentType, kind: kind, data: data, sealed: sealed)
        }
        return nil
    }

    // MARK: erasure

    /// Irreversibly replaces the person with a pseudonym: clears contact data and the restriction
    /// reason, deletes content and preference history, releases numbers and SIMs, removes fax-to-mail.
    /// The numbers and SIM cards the person held stay in the history (CDRs are attributed from
    /// it under the logging duty), without the link to the person.
    ///
    /// The person's content key is destroyed first, once the row is locked in the caller's scope
    /// (so no one can destroy a key of a person they cannot see): if the rest then fails, the
    /// content is already unreadable everywhere and a retry finishes the rows. `vault` is nil only
    /// for a dry run whose transaction rolls back (a destroyed key cannot be rolled back).
    public func anonymise(_ id: UUID, pseudonym: String, quarantine: QuarantineRule, now: Date, vault: ContentVault?) async throws -> AnonymisationResult {
        let locked = try await lock(id)
        if let anonymisedAt = locked.anonymisedAt {
            let name = try await get(id)?.fullName ?? pseudonym
            return AnonymisationResult(anonymisedAt: anonymisedAt, pseudonym: name, alreadyAnonymised: true, contentDeleted: [:],
                                       preferenceHistoryDeleted: 0, numbersReleased: [], simsReleased: [], faxToMailRemoved: [])
        }
        try await vault?.erase([id], reason: "anonymisation")
        var deleted: [String: Int] = [:]
        let kinds = try await connection.query(
            "DELETE FROM sb.employee_content WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id) RETURNING kind", logger: logger
        ).collect()
        for row in kinds { deleted[try row.decode(String.self), default: 0] += 1 }
        let history = try await connection.query(
            "DELETE FROM sb.employee_preference_history WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id) RETURNING id", logger: logger
        ).collect().count
        let (numbers, sims, faxes) = try await releaseHoldings(of: id, resellerID: locked.resellerID, quarantine: quarantine, now: now)
        try await connection.query("UPDATE sb.number_assignments SET employee_id = NULL WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id)", logger: logger)
        try await connection.query("UPDATE sb.sim_cards SET employee_id = NULL WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(id)", logger: logger)
        let anonymisedAt = try await connection.query(
            """
            UPDATE sb.employees SET full_name = \(pseudonym), email = NULL, mobile = NULL, extension = NULL,
                directory_listing = 'unlisted', marketing_consent = false, restricted_at = NULL, restriction_reason = NULL,
                anonymised_at = now(), updated_at = now(), version = version + 1
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(id) RETURNING anonymised_at
            """,
            logger: logger
        ).collect().first!.decode(Date.self)
        // The old values stay in the table files until a rewrite: the retention job's vacuum.
        try await connection.query("SELECT sb.request_erasure_vacuum()", logger: logger)
        return AnonymisationResult(anonymisedAt: anonymisedAt, pseudonym: pseudonym, alreadyAnonymised: false, contentDeleted: deleted,
                                   preferenceHistoryDeleted: history, numbersReleased: numbers, simsReleased: sims, faxToMailRemoved: faxes)
    }
}

/// The directory's everyday read, prepared once per connection instead of parsed and planned each time.
/// `limit` is one more than the page, to tell whether another follows.
struct EmployeePage: PostgresPreparedStatement {
    static let sql = EmployeeRepository.selectSQL(tenant: "$9", filter: """
        e.customer_id = $1
          AND ($2::uuid IS NULL OR e.id > $3)
          AND CASE $4::text
              WHEN 'number' THEN EXISTS (SELECT 1 FROM sb.number_assignments n
                                         WHERE n.reseller_id = sb.statement_tenant($9) AND n.employee_id = e.id
                                           AND n.released_at IS NULL AND n.number = $5)
              WHEN 'extension' THEN e.extension LIKE $6
              WHEN 'name' THEN e.full_name ILIKE $7
              ELSE true END
        """, limit: "$8")
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .uuid, .text, .text, .text, .text, .int8, .uuid]
    typealias Row = EmployeeRecord

    let tenant: UUID
    let customerID: UUID
    let cursor: UUID?
    let mode: String
    let term: String
    let limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(customerID)
        bindings.append(cursor)
        bindings.append(cursor)
        bindings.append(mode)
        for _ in 0..<3 { bindings.append(term) }
        bindings.append(limit)
        bindings.append(tenant)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> EmployeeRecord { try EmployeeRepository.record(row) }
}

/// One employee: what a read answers, and every change answers with the employee as it now is.
struct EmployeeByID: PostgresPreparedStatement {
    static let sql = EmployeeRepository.selectSQL(tenant: "$1", filter: "e.id = $2", limit: "1")
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid]
    typealias Row = EmployeeRecord

    let tenant: UUID
    let id: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(tenant)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> EmployeeRecord { try EmployeeRepository.record(row) }
}
