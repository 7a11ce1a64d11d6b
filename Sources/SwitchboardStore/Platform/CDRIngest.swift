import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What an NDJSON batch (CDRs or telemetry) came to.
public struct BatchOutcome: Sendable, Equatable {
    public var batchID: UUID
    public var records: Int
    public var unknownNumbers: Int
    /// True when the Idempotency-Key named a batch already stored: nothing new was written.
    public var replayed: Bool
}

/// Why a batch was refused; nothing of it is stored.
public enum BatchRefusal: Error, Sendable, Equatable {
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
    /// Parsing runs on an event-loop thread, so a chunk bounds how long it holds that loop (a few milliseconds).
    public var chunkLines = 1024

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
    ) async throws -> BatchOutcome {
        let ledger = BatchLedger(kind: .cdr, principal: principal, connection: connection, logger: logger)
        let batchID = TimeOrderedID.make()
        if let replayed = try await ledger.claim(batchID, key: idempotencyKey, retriedBody: body, maxBodyBytes: maxBodyBytes) {
            return replayed
        }
        let accepted = BatchLedger.acceptedWindow(now: now)
        var streamed: StreamedBatch?
        try await BatchLedger.copy(into: "cdrs", columns: Self.columns, on: connection, logger: logger) { copy in
            streamed = try await stream(body, into: copy, batchID: batchID, accepted: accepted)
        }
        guard let streamed, streamed.rows > 0 else { throw BatchRefusal.empty }
        do {
            try await streamed.usage.save(on: connection, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22003" {
            throw BatchRefusal.invalidLine(FieldViolation(field: "(body)", rule: "range", message: "the batch would overflow a stored monthly total"))
        }
        return try await ledger.complete(batchID, digest: streamed.digest, records: streamed.rows, unknownNumbers: streamed.unknownNumbers)
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
        var reader = NDJSONReader(maxBodyBytes: maxBodyBytes)
        var writer = CopyRowWriter(batchID: batchID)
        var resolver = NumberResolver()
        var pending: [(line: Int, record: CallDetailRecord)] = []
        var usage = UsageTotals()

        func parse(_ line: Int, _ bytes: ArraySlice<UInt8>) throws {
            pending.append((line, try NDJSONReader.checking(line) { () throws(FieldViolation) in try CallDetailRecord.parse(bytes, accepted: accepted) }))
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
            try reader.consume(chunk, parse)
            if pending.count >= chunkLines { try await send() }
        }
        let digest = try reader.finish(parse)
        try await send()
        return StreamedBatch(rows: writer.rows, unknownNumbers: writer.unknownNumbers, usage: usage, digest: digest)
    }
}

/// Network telemetry batches: the same NDJSON, atomicity and Idempotency-Key rules as CDRs,
/// stored in `platform.telemetry_events`.
public struct TelemetryBatchIngest: Sendable {
    let principal: Principal
    let logger: Logger
    public var maxBodyBytes: Int
    /// Lines parsed per COPY write. Parsing runs on an event-loop thread, so a chunk bounds how long it holds that loop (a few milliseconds).
    public var chunkLines = 1024

    public init(principal: Principal, logger: Logger, maxBodyBytes: Int) {
        self.principal = principal
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }

    static let columns = ["occurred_at", "batch_id", "line", "type", "node", "subject_number", "subject_iccid", "attributes"]

    public func ingest(
        _ body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable,
        idempotencyKey: String?,
        now: Date,
        on connection: PostgresConnection
    ) async throws -> BatchOutcome {
        let ledger = BatchLedger(kind: .telemetry, principal: principal, connection: connection, logger: logger)
        let batchID = TimeOrderedID.make()
        if let replayed = try await ledger.claim(batchID, key: idempotencyKey, retriedBody: body, maxBodyBytes: maxBodyBytes) {
            return replayed
        }
        let accepted = BatchLedger.acceptedWindow(now: now)
        var streamed: (rows: Int, digest: Data)?
        try await BatchLedger.copy(into: "telemetry_events", columns: Self.columns, on: connection, logger: logger) { copy in
            streamed = try await stream(body, into: copy, batchID: batchID, accepted: accepted)
        }
        guard let streamed, streamed.rows > 0 else { throw BatchRefusal.empty }
        return try await ledger.complete(batchID, digest: streamed.digest, records: streamed.rows, unknownNumbers: 0)
    }

    private func stream(
        _ body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable,
        into copy: PostgresCopyFromWriter,
        batchID: UUID,
        accepted: ClosedRange<UTCInstant>
    ) async throws -> (rows: Int, digest: Data) {
        var reader = NDJSONReader(maxBodyBytes: maxBodyBytes)
        var writer = CopyRowWriter(batchID: batchID)
        var pending = 0

        func parse(_ line: Int, _ bytes: ArraySlice<UInt8>) throws {
            writer.append(try NDJSONReader.checking(line) { () throws(FieldViolation) in try TelemetryEvent.parse(bytes, accepted: accepted) }, line: line)
            pending += 1
        }
        for try await chunk in body {
            try reader.consume(chunk, parse)
            if pending >= chunkLines {
                try await copy.write(writer.take())
                pending = 0
            }
        }
        let digest = try reader.finish(parse)
        try await copy.write(writer.take())
        return (writer.rows, digest)
    }
}

/// Reads an NDJSON body as it streams: counts it against the limit, hashes it for the
/// Idempotency-Key check, and hands out its lines.
struct NDJSONReader {
    let maxBodyBytes: Int
    private var received = 0
    private var digest = SHA256()
    private var splitter = LineSplitter()

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    mutating func consume(_ chunk: ArraySlice<UInt8>, _ line: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        received += chunk.count
        guard received <= maxBodyBytes else { throw BatchRefusal.tooLarge(limit: maxBodyBytes) }
        digest.update(data: chunk)
        try splitting { try $0.feed(chunk, line) }
    }

    /// The last line, then the body's SHA-256.
    mutating func finish(_ line: (Int, ArraySlice<UInt8>) throws -> Void) throws -> Data {
        try splitting { try $0.finish(line) }
        return Data(digest.finalize())
    }

    /// An over-long line is a bad line like any other.
    private mutating func splitting(_ body: (inout LineSplitter) throws -> Void) throws {
        do {
            try body(&splitter)
        } catch let error as LineSplitter.LineTooLong {
            throw BatchRefusal.invalidLine(FieldViolation(field: "(line)", rule: "maxLength", message: "line \(error.line): is longer than \(splitter.maxLineBytes) bytes", line: error.line))
        }
    }

    /// A record's broken rule, as the batch's refusal naming the line.
    static func checking<T>(_ line: Int, _ parse: () throws(FieldViolation) -> T) throws -> T {
        do {
            return try parse()
        } catch {
            let subject = error.field.hasPrefix("(") ? "the line" : error.field
            throw BatchRefusal.invalidLine(FieldViolation(field: error.field, rule: error.rule, message: "line \(line): \(subject) \(error.message)", line: line))
        }
    }
}

/// The batch record in platform.ingest_batches: claims the Idempotency-Key, answers retries,
/// and records the outcome in the batch's own transaction.
struct BatchLedger {
    enum Kind: String { case cdr, telemetry }

    let kind: Kind
    let principal: Principal
    let connection: PostgresConnection
    let logger: Logger

    /// Start times accepted: the last 12 months (the logging duty) up to a day ahead (clock skew).
    static func acceptedWindow(now: Date) -> ClosedRange<UTCInstant> {
        let instant = UTCInstant(secondsSince1970: now.timeIntervalSince1970)
        return instant.subtracting(months: 12)...instant.adding(seconds: 86_400)
    }

    /// Nil when the batch is new; the stored outcome when the key names a batch already stored.
    func claim(_ batchID: UUID, key: String?, retriedBody body: some AsyncSequence<ArraySlice<UInt8>, any Error> & Sendable, maxBodyBytes: Int) async throws -> BatchOutcome? {
        let claimed = try await connection.query(
            """
            INSERT INTO platform.ingest_batches (id, kind, idempotency_key, received_by) VALUES (\(batchID), \(kind.rawValue), \(key), \(principal.id))
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """,
            logger: logger
        ).collect()
        // Only a key can conflict (NULL keys never do).
        guard claimed.isEmpty, let key else { return nil }
        var reader = NDJSONReader(maxBodyBytes: maxBodyBytes)
        for try await chunk in body { try reader.consume(chunk) { _, _ in } }
        let digest = try reader.finish { _, _ in }
        let rows = try await connection.query(
            "SELECT id, kind, records, unknown_numbers, body_sha256 FROM platform.ingest_batches WHERE idempotency_key = \(key)", logger: logger
        )
        for try await (id, storedKind, records, unknown, storedDigest) in rows.decode((UUID, String, Int, Int, Data?).self) {
            guard storedKind == kind.rawValue, storedDigest == digest else { throw BatchRefusal.idempotencyKeyReused }
            return BatchOutcome(batchID: id, records: records, unknownNumbers: unknown, replayed: true)
        }
        throw StoreError.notFound
    }

    func complete(_ batchID: UUID, digest: Data, records: Int, unknownNumbers: Int) async throws -> BatchOutcome {
        try await connection.query(
            """
            UPDATE platform.ingest_batches SET body_sha256 = \(digest), records = \(records), unknown_numbers = \(unknownNumbers)
            WHERE id = \(batchID)
            """,
            logger: logger
        )
        logger.info("batch stored", metadata: ["kind": "\(kind.rawValue)", "batch": "\(batchID)", "records": "\(records)", "unknown_numbers": "\(unknownNumbers)"])
        return BatchOutcome(batchID: batchID, records: records, unknownNumbers: unknownNumbers, replayed: false)
    }

    /// COPY into a platform table; a record whose month has no partition yet refuses the batch.
    static func copy(into table: String, columns: [String], on connection: PostgresConnection, logger: Logger,
                     _ writeData: (PostgresCopyFromWriter) async throws -> Void) async throws {
        // COPY names an unqualified table; the search path is transaction-local like every setting.
        try await connection.query("SELECT set_config('search_path', 'platform', true)", logger: logger)
        do {
            try await connection.copyFrom(table: table, columns: columns, logger: logger, writeData: writeData)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" && error.serverInfo?[.message]?.contains("no partition") == true {
            throw BatchRefusal.partitionMissing
        }
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

    /// Telemetry rows. Attributes are JSON, whose escapes contain backslashes: COPY's text format needs them doubled.
    mutating func append(_ event: TelemetryEvent, line: Int) {
        field(event.occurredAtText)
        field(batchID)
        field(String(line))
        field(event.type)
        field(event.node)
        field(event.subjectNumber)
        field(event.subjectICCID)
        field(event.attributesJSON.replacingOccurrences(of: "\\", with: "\\\\"), last: true)
        rows += 1
    }

    private mutating func field(_ value: String?, last: Bool = false) {
        if let value { buffer.writeString(value) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
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
                throw BatchRefusal.invalidLine(FieldViolation(field: field, rule: "range", message: "line \(line): the number's monthly total would overflow", line: line))
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
