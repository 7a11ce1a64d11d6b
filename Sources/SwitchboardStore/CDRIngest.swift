import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What a CDR batch came to.
public struct CDRBatchOutcome: Sendable, Equatable {
    public var batchID: UUID
    public var records: Int
    public var unknownNumbers: Int
    /// True when the Idempotency-Key named a batch already stored: nothing new was written.
    public var replayed: Bool
}

/// Why a batch was refused; nothing of it is stored.
public enum CDRBatchRefusal: Error, Sendable, Equatable {
    /// A line broke a rule; the violation names the line and field.
    case invalidLine(FieldViolation)
    case empty
    case tooLarge(limit: Int)
    /// The key was used before for a batch with a different body.
    case idempotencyKeyReused
    /// No partition holds the records' month: the retention job has not prepared it.
    case partitionMissing
}

/// Streams one NDJSON batch of CDRs into `platform.cdrs` with COPY, in the request's transaction:
/// all lines are stored or none. Lines are parsed and checked as they arrive, resolved to the
/// reseller and customer that held the served number at the time, and written in chunks, so the
/// body is never held whole in memory. Usage totals for rebilling are accumulated in the same
/// transaction.
public struct CDRBatchIngest: Sendable {
    let database: ScopedDatabase
    let principal: Principal
    let logger: Logger
    /// Largest body accepted, counted as it streams.
    public var maxBodyBytes: Int
    /// Lines parsed before their numbers are resolved and they are sent to PostgreSQL.
    public var chunkLines = 4096

    public init(database: ScopedDatabase, principal: Principal, logger: Logger, maxBodyBytes: Int) {
        self.database = database
        self.principal = principal
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }

    static let columns = [
        "started_at", "batch_id", "line", "kind", "direction", "a_number", "b_number", "served_number", "duration_seconds",
        "bytes", "ip", "cell", "country", "charge", "reseller_id", "customer_id", "number_assignment_id",
    ]

    public func ingest(
        _ body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable,
        idempotencyKey: String?,
        now: Date,
        on connection: PostgresConnection
    ) async throws -> CDRBatchOutcome {
        let batchID = TimeOrderedID.make()
        let claimed = try await connection.query(
            """
            INSERT INTO platform.ingest_batches (id, idempotency_key, received_by) VALUES (\(batchID), \(idempotencyKey), \(principal.id))
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """,
            logger: logger
        ).collect()
        // Only a key can conflict (NULL keys never do): the batch was stored before.
        if claimed.isEmpty, let idempotencyKey {
            return try await replay(body, key: idempotencyKey, on: connection)
        }

        let nowInstant = UTCInstant(secondsSince1970: now.timeIntervalSince1970)
        let accepted = nowInstant.subtracting(months: 12)...nowInstant.adding(seconds: 86_400)
        // COPY names an unqualified table; the search path is transaction-local like every setting.
        try await connection.query("SELECT set_config('search_path', 'platform', true)", logger: logger)
        var streamed: StreamedBatch?
        do {
            try await connection.copyFrom(table: "cdrs", columns: Self.columns, logger: logger) { copy in
                streamed = try await stream(body, into: copy, batchID: batchID, accepted: accepted)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" && error.serverInfo?[.message]?.contains("no partition") == true {
            throw CDRBatchRefusal.partitionMissing
        }
        guard let streamed, streamed.rows > 0 else { throw CDRBatchRefusal.empty }
        let (usage, digest) = (streamed.usage, streamed.digest)
        let writer = (rows: streamed.rows, unknownNumbers: streamed.unknownNumbers)

        do {
            try await usage.save(on: connection, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22003" {
            throw CDRBatchRefusal.invalidLine(FieldViolation(field: "(body)", rule: "range", message: "the batch would overflow a stored monthly total"))
        }
        let hash = digest
        try await connection.query(
            """
            UPDATE platform.ingest_batches SET body_sha256 = \(hash), records = \(writer.rows), unknown_numbers = \(writer.unknownNumbers)
            WHERE id = \(batchID)
            """,
            logger: logger
        )
        logger.info("cdr batch stored", metadata: ["batch": "\(batchID)", "records": "\(writer.rows)", "unknown_numbers": "\(writer.unknownNumbers)"])
        return CDRBatchOutcome(batchID: batchID, records: writer.rows, unknownNumbers: writer.unknownNumbers, replayed: false)
    }

    struct StreamedBatch: Sendable {
        var rows: Int
        var unknownNumbers: Int
        var usage: UsageTotals
        var digest: Data
    }

    /// Reads the body line by line, checks each record, and sends them to the COPY in chunks,
    /// resolving each chunk's numbers first. Holds at most one chunk in memory.
    private func stream(
        _ body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable,
        into copy: PostgresCopyFromWriter,
        batchID: UUID,
        accepted: ClosedRange<UTCInstant>
    ) async throws -> StreamedBatch {
        var digest = SHA256()
        var splitter = LineSplitter()
        var writer = CopyRowWriter(batchID: batchID)
        var resolver = NumberResolver()
        var pending: [(line: Int, record: CallDetailRecord)] = []
        var usage = UsageTotals()
        var receivedBytes = 0

        func parse(_ line: Int, _ bytes: ArraySlice<UInt8>) throws {
            do {
                pending.append((line, try CallDetailRecord.parse(bytes, accepted: accepted)))
            } catch let violation as FieldViolation {
                let subject = violation.field.hasPrefix("(") ? "the line" : violation.field
                throw CDRBatchRefusal.invalidLine(FieldViolation(field: violation.field, rule: violation.rule, message: "line \(line): \(subject) \(violation.message)", line: line))
            }
        }
        func send() async throws {
            guard !pending.isEmpty else { return }
            try await resolver.load(pending.map(\.record.servedNumber), using: database, principal: principal, logger: logger)
            for (line, record) in pending {
                let holder = resolver.holder(of: record.servedNumber, at: record.startedAt)
                writer.append(record, line: line, holder: holder)
                if let holder { try usage.add(record, holder: holder, line: line) }
            }
            pending.removeAll(keepingCapacity: true)
            try await copy.write(writer.take())
        }

        for try await chunk in body {
            receivedBytes += chunk.count
            guard receivedBytes <= maxBodyBytes else { throw CDRBatchRefusal.tooLarge(limit: maxBodyBytes) }
            digest.update(data: chunk)
            try Self.splitting(&splitter) { try $0.feed(chunk, parse) }
            if pending.count >= chunkLines { try await send() }
        }
        try Self.splitting(&splitter) { try $0.finish(parse) }
        try await send()
        return StreamedBatch(rows: writer.rows, unknownNumbers: writer.unknownNumbers, usage: usage, digest: Data(digest.finalize()))
    }

    /// An over-long line is a bad line like any other.
    private static func splitting(_ splitter: inout LineSplitter, _ body: (inout LineSplitter) throws -> Void) throws {
        do {
            try body(&splitter)
        } catch let error as LineSplitter.LineTooLong {
            throw CDRBatchRefusal.invalidLine(FieldViolation(field: "(line)", rule: "maxLength", message: "line \(error.line): is longer than \(splitter.maxLineBytes) bytes", line: error.line))
        }
    }

    /// A retried batch: the stored outcome if the body is the same, a refusal if it is not.
    private func replay(_ body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable, key: String, on connection: PostgresConnection) async throws -> CDRBatchOutcome {
        var digest = SHA256()
        var receivedBytes = 0
        for try await chunk in body {
            receivedBytes += chunk.count
            guard receivedBytes <= maxBodyBytes else { throw CDRBatchRefusal.tooLarge(limit: maxBodyBytes) }
            digest.update(data: chunk)
        }
        let rows = try await connection.query(
            "SELECT id, records, unknown_numbers, body_sha256 FROM platform.ingest_batches WHERE idempotency_key = \(key)", logger: logger
        )
        for try await (id, records, unknown, storedHash) in rows.decode((UUID, Int, Int, Data?).self) {
            guard storedHash == Data(digest.finalize()) else { throw CDRBatchRefusal.idempotencyKeyReused }
            return CDRBatchOutcome(batchID: id, records: records, unknownNumbers: unknown, replayed: true)
        }
        throw StoreError.notFound
    }
}

/// Which reseller and customer held a number at a given time, loaded as the batch needs them.
struct NumberResolver {
    struct Holder {
        var resellerID: UUID
        var customerID: UUID
        var assignmentID: UUID
        var from: UTCInstant
        var until: UTCInstant?
        /// As COPY writes them, rendered once per number rather than once per record.
        var resellerText: String
        var customerText: String
        var assignmentText: String
    }

    private var holders: [String: [Holder]] = [:]

    /// Looks up the numbers not seen before in one query, on a pooled connection of its own:
    /// the batch's connection is busy with the COPY.
    mutating func load(_ numbers: [String], using database: ScopedDatabase, principal: Principal, logger: Logger) async throws {
        let missing = Array(Set(numbers.filter { holders[$0] == nil }))
        guard !missing.isEmpty else { return }
        for number in missing { holders[number] = [] }
        let found = try await database.transaction(.principal(principal), logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT number, reseller_id, customer_id, assignment_id, assigned_at, released_at FROM platform.number_holders(\(missing))",
                logger: logger
            )
            var found: [(String, UUID, UUID, UUID, Date, Date?)] = []
            for try await row in rows.decode((String, UUID, UUID, UUID, Date, Date?).self) { found.append(row) }
            return found
        }
        for (number, reseller, customer, assignment, from, until) in found {
            holders[number, default: []].append(Holder(
                resellerID: reseller, customerID: customer, assignmentID: assignment,
                from: UTCInstant(secondsSince1970: from.timeIntervalSince1970),
                until: until.map { UTCInstant(secondsSince1970: $0.timeIntervalSince1970) },
                resellerText: reseller.uuidString.lowercased(), customerText: customer.uuidString.lowercased(), assignmentText: assignment.uuidString.lowercased()
            ))
        }
    }

    func holder(of number: String, at instant: UTCInstant) -> Holder? {
        holders[number]?.first { $0.from <= instant && ($0.until.map { instant < $0 } ?? true) }
    }
}

/// Rows in COPY's text format. Every value has been validated to a character set without tab,
/// newline or backslash (digits, E.164, RFC 3339, inet, the cell alphabet), so none needs escaping.
struct CopyRowWriter {
    let batchID: String
    private(set) var rows = 0
    private(set) var unknownNumbers = 0
    private var buffer = ByteBuffer()

    init(batchID: UUID) {
        self.batchID = batchID.uuidString.lowercased()
    }

    mutating func append(_ record: CallDetailRecord, line: Int, holder: NumberResolver.Holder?) {
        // Written field by field into one buffer: this runs once per record of every batch.
        func field(_ value: String?, last: Bool = false) {
            if let value { buffer.writeString(value) } else { buffer.writeStaticString("\\N") }
            buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
        }
        field(record.startedAtText)
        field(batchID)
        field(String(line))
        field(record.kind.rawValue)
        field(record.direction.rawValue)
        field(record.aNumber)
        field(record.bNumber)
        field(record.servedNumber)
        field(record.durationSeconds.map(String.init))
        field(record.bytes.map(String.init))
        field(record.ip)
        field(record.cell)
        field(record.country)
        field(record.charge.description)
        field(holder?.resellerText)
        field(holder?.customerText)
        field(holder?.assignmentText, last: true)
        rows += 1
        if holder == nil { unknownNumbers += 1 }
    }

    mutating func take() -> ByteBuffer {
        defer { buffer = ByteBuffer() }
        return buffer
    }
}

/// Monthly usage per customer and number, summed in memory and added to sb.usage_monthly once.
struct UsageTotals: Sendable {
    struct Key: Hashable, Sendable {
        var resellerID: UUID
        var customerID: UUID
        var month: String
        var number: String
    }

    struct Sums: Sendable {
        var calls: Int64 = 0
        var callSeconds: Int64 = 0
        var billedMinutes: Int64 = 0
        var sms: Int64 = 0
        var dataBytes: Int64 = 0
        var charge = FixedPoint4(tenThousandths: 0)
    }

    private var sums: [Key: Sums] = [:]

    /// Refuses the batch rather than wrap around when a sum leaves 64 bits.
    mutating func add(_ record: CallDetailRecord, holder: NumberResolver.Holder, line: Int) throws {
        let key = Key(resellerID: holder.resellerID, customerID: holder.customerID, month: record.startedAt.monthStart, number: record.servedNumber)
        var entry = sums[key] ?? Sums()
        func checked(_ sum: Int64, _ addend: Int64, _ field: String) throws -> Int64 {
            let (result, overflow) = sum.addingReportingOverflow(addend)
            guard !overflow else {
                throw CDRBatchRefusal.invalidLine(FieldViolation(field: field, rule: "range", message: "line \(line): the number's monthly total would overflow", line: line))
            }
            return result
        }
        switch record.kind {
        case .call:
            entry.calls += 1
            entry.callSeconds = try checked(entry.callSeconds, Int64(record.durationSeconds ?? 0), "durationSeconds")
            entry.billedMinutes += Int64(record.billedMinutes)
        case .sms:
            entry.sms += 1
        case .data:
            entry.dataBytes = try checked(entry.dataBytes, record.bytes ?? 0, "bytes")
        }
        entry.charge = FixedPoint4(tenThousandths: try checked(entry.charge.tenThousandths, record.charge.tenThousandths, "charge"))
        sums[key] = entry
    }

    func save(on connection: PostgresConnection, logger: Logger) async throws {
        guard !sums.isEmpty else { return }
        let entries = Array(sums)
        try await connection.query(
            """
            INSERT INTO sb.usage_monthly AS u (reseller_id, customer_id, month, number, calls, call_seconds, billed_minutes, sms, data_bytes, charge)
            SELECT * FROM unnest(\(entries.map(\.key.resellerID))::uuid[], \(entries.map(\.key.customerID))::uuid[], \(entries.map(\.key.month))::date[],
                                 \(entries.map(\.key.number))::text[], \(entries.map(\.value.calls))::bigint[], \(entries.map(\.value.callSeconds))::bigint[],
                                 \(entries.map(\.value.billedMinutes))::bigint[], \(entries.map(\.value.sms))::bigint[], \(entries.map(\.value.dataBytes))::bigint[],
                                 \(entries.map(\.value.charge.description))::numeric[])
            ON CONFLICT (reseller_id, customer_id, month, number) DO UPDATE SET
                calls = u.calls + excluded.calls, call_seconds = u.call_seconds + excluded.call_seconds,
                billed_minutes = u.billed_minutes + excluded.billed_minutes, sms = u.sms + excluded.sms,
                data_bytes = u.data_bytes + excluded.data_bytes, charge = u.charge + excluded.charge, updated_at = now()
            """,
            logger: logger
        )
    }
}
