import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

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
        "bytes", "ip", "cell", "country", "charge", "reseller_id", "customer_id", "number_assignment_id", "destination_class",
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
        let accepted = BatchLedger.acceptedWindow(.cdr, now: now)
        let destinations = try await FraudRuleRepository(connection, logger: logger).classifier()
        var streamed: StreamedBatch?
        try await BatchLedger.copy(into: "cdrs", columns: Self.columns, on: connection, logger: logger) { copy in
            streamed = try await stream(body, into: copy, batchID: batchID, accepted: accepted, destinations: destinations)
        }
        guard let streamed, streamed.rows > 0 else { throw BatchRefusal.empty }
        do {
            try await streamed.usage.save(now: now, on: connection, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22003" {
            throw BatchRefusal.invalidLine(FieldViolation(field: "(body)", rule: "range", message: "the batch would overflow a stored monthly total"))
        }
        // The fraud rules judge the batch in its own transaction: an alert exists if and only if its calls do.
        let alerts = try await FraudAlertRepository(connection, logger: logger).evaluate(batch: batchID)
        if alerts > 0 { logger.notice("fraud alerts raised or escalated", metadata: ["batch": "\(batchID)", "alerts": "\(alerts)"]) }
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
        accepted: ClosedRange<UTCInstant>,
        destinations: DestinationClassifier
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
                let destination = record.direction == .outgoing ? record.bNumber.flatMap(destinations.classify) : nil
                writer.append(record, line: line, holder: holder, destination: destination)
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
