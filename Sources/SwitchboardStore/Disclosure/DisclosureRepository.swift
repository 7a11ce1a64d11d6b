import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Lawful disclosure (platform scope): record, review under four eyes, export once. The database
/// holds the four-eyes rule and the forward-only steps itself (migration 0018); this repository
/// only writes them.
package struct DisclosureRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    package struct NewRequest: Sendable {
        package var authority: String
        package var country: String
        package var caseReference: String
        package var legalBasis: String
        package var numbers: [String]
        package var iccids: [String]
        package var ipAddresses: [String]
        package var periodStart: Date
        package var periodEnd: Date

        package init(authority: String, country: String, caseReference: String, legalBasis: String, numbers: [String], iccids: [String],
                     ipAddresses: [String], periodStart: Date, periodEnd: Date) {
            self.authority = authority
            self.country = country
            self.caseReference = caseReference
            self.legalBasis = legalBasis
            self.numbers = numbers
            self.iccids = iccids
            self.ipAddresses = ipAddresses
            self.periodStart = periodStart
            self.periodEnd = periodEnd
        }
    }

    /// How long an approved request's export may be fetched (once).
    package static let downloadWindow: TimeInterval = 7 * 86_400
    /// The most records one export holds; a larger one is refused, to be requested in parts.
    package static let maximumRecords = 200_000

    package func record(_ request: NewRequest, id: UUID, by person: UUID) async throws -> DisclosureRecord {
        try await one(connection.query(
            """
            INSERT INTO platform.disclosure_requests (id, authority, country, case_reference, legal_basis, numbers, iccids, ips, period_start, period_end, recorded_by)
            VALUES (\(id), \(request.authority), \(request.country), \(request.caseReference), \(request.legalBasis), \(request.numbers), \(request.iccids),
                    \(request.ipAddresses)::inet[], \(request.periodStart), \(request.periodEnd), \(person))
            RETURNING \(unescaped: DisclosureRecord.columns)
            """,
            logger: logger
        ))!
    }

    package func list(state: DisclosureRecord.State?, before cursor: (Date, UUID)?, limit: Int) async throws -> Page<DisclosureRecord, (Date, UUID)> {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: DisclosureRecord.columns) FROM platform.disclosure_requests
            WHERE (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
              AND (\(cursor?.0)::timestamptz IS NULL OR (recorded_at, id) < (\(cursor?.0), \(cursor?.1)))
            ORDER BY recorded_at DESC, id DESC LIMIT \(limit + 1)
            """,
            logger: logger
        )
        var records: [DisclosureRecord] = []
        for try await row in rows { records.append(try DisclosureRecord(row: row)) }
        return Page(fetched: records, limit: limit) { ($0.recordedAt, $0.id) }
    }

    package func get(_ id: UUID, locking: Bool = false) async throws -> DisclosureRecord? {
        try await one(connection.query(
            "SELECT \(unescaped: DisclosureRecord.columns) FROM platform.disclosure_requests WHERE id = \(id) \(unescaped: locking ? "FOR UPDATE" : "")",
            logger: logger
        ))
    }

    /// Approves or refuses a pending request as `person`; the database refuses the request's author.
    package func review(_ id: UUID, approve: Bool, reason: String, by person: UUID, now: Date) async throws -> DisclosureRecord? {
        try await one(connection.query(
            """
            UPDATE platform.disclosure_requests SET state = \(approve ? "approved" : "refused"), reviewed_by = \(person), reviewed_at = \(now),
                review_reason = \(reason), download_until = \(approve ? now.addingTimeInterval(Self.downloadWindow) : nil)
            WHERE id = \(id) AND state = 'pending'
            RETURNING \(unescaped: DisclosureRecord.columns)
            """,
            logger: logger
        ))
    }

    /// The document handed over: exactly the CDRs of the request's numbers and IP addresses, and the
    /// network events of its numbers and ICCIDs, within its period; signed, and marked exported so
    /// it cannot be fetched again. Nil when the period holds more than ``maximumRecords``.
    package func export(_ request: DisclosureRecord, by person: UUID, signedBy key: ReceiptSigningKey, at now: Date) async throws -> (document: [UInt8], sha256: String, records: Int)? {
        var records: [CanonicalJSON] = []
        let cdrs = try await connection.query(
            """
            SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), kind, direction, a_number, b_number, duration_seconds, bytes,
                   host(ip), cell, country, charge::text
            FROM platform.cdrs
            WHERE started_at >= \(request.periodStart) AND started_at < \(request.periodEnd)
              AND (a_number = ANY (\(request.numbers)) OR b_number = ANY (\(request.numbers)) OR served_number = ANY (\(request.numbers))
                   OR ip = ANY (\(request.ipAddresses)::inet[]))
            ORDER BY started_at, batch_id, line
            LIMIT \(Self.maximumRecords + 1)
            """,
            logger: logger
        )
        for try await row in cdrs {
            var cells = RowColumns(row)
            var members: [String: CanonicalJSON] = [
                "startedAt": .string(try cells.next()), "kind": .string(try cells.next()), "direction": .string(try cells.next()),
                "aNumber": .string(try cells.next()),
            ]
            func optional(_ name: String, _ value: String?) { if let value { members[name] = .string(value) } }
            optional("bNumber", try cells.next(String?.self))
            if let seconds = try cells.next(Int32?.self) { members["durationSeconds"] = .integer(Int64(seconds)) }
            if let bytes = try cells.next(Int64?.self) { members["bytes"] = .integer(bytes) }
            optional("ip", try cells.next(String?.self))
            optional("cell", try cells.next(String?.self))
            optional("country", try cells.next(String?.self))
            members["charge"] = .string(try cells.next())
            records.append(.object(members))
        }
        var events: [CanonicalJSON] = []
        let telemetry = try await connection.query(
            """
            SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), type, node, subject_number, subject_iccid
            FROM platform.telemetry_events
            WHERE occurred_at >= \(request.periodStart) AND occurred_at < \(request.periodEnd)
              AND (subject_number = ANY (\(request.numbers)) OR subject_iccid = ANY (\(request.iccids)))
            ORDER BY occurred_at, batch_id, line
            LIMIT \(Self.maximumRecords + 1)
            """,
            logger: logger
        )
        for try await (occurredAt, type, node, number, iccid) in telemetry.decode((String, String, String, String?, String?).self) {
            var members: [String: CanonicalJSON] = ["occurredAt": .string(occurredAt), "type": .string(type), "node": .string(node)]
            if let number { members["subjectNumber"] = .string(number) }
            if let iccid { members["subjectIccid"] = .string(iccid) }
            events.append(.object(members))
        }
        guard records.count + events.count <= Self.maximumRecords else { return nil }

        let exportedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let document: CanonicalJSON = .object([
            "kind": .string("lawful-disclosure"),
            "disclosureId": .string(request.id.uuidString.lowercased()),
            "authority": .string(request.authority),
            "country": .string(request.country),
            "caseReference": .string(request.caseReference),
            "legalBasis": .string(request.legalBasis),
            "identifiers": .object([
                "numbers": .array(request.numbers.map(CanonicalJSON.string)),
                "iccids": .array(request.iccids.map(CanonicalJSON.string)),
                "ipAddresses": .array(request.ipAddresses.map(CanonicalJSON.string)),
            ]),
            "periodStart": .string(CanonicalJSON.timestamp(request.periodStart)),
            "periodEnd": .string(CanonicalJSON.timestamp(request.periodEnd)),
            "recordedBy": .string(request.recordedBy.uuidString.lowercased()),
            "approvedBy": .string(request.reviewedBy?.uuidString.lowercased() ?? ""),
            "exportedBy": .string(person.uuidString.lowercased()),
            "exportedAt": .string(CanonicalJSON.timestamp(exportedAt)),
            "records": .array(records),
            "recordCount": .integer(Int64(records.count)),
            "networkEvents": .array(events),
            "networkEventCount": .integer(Int64(events.count)),
        ])
        let bytes = try key.sign(document).canonicalBytes
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let marked = try await connection.query(
            """
            UPDATE platform.disclosure_requests SET state = 'exported', exported_at = \(exportedAt), exported_by = \(person),
                export_records = \(Int32(records.count + events.count)), export_sha256 = \(digest)
            WHERE id = \(request.id) AND state = 'approved' RETURNING id
            """,
            logger: logger
        ).collect()
        guard !marked.isEmpty else { throw StoreError.notFound }
        return (bytes, digest, records.count + events.count)
    }

    private func one(_ rows: PostgresRowSequence) async throws -> DisclosureRecord? {
        for try await row in rows { return try DisclosureRecord(row: row) }
        return nil
    }
}
