import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

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
        let accepted = BatchLedger.acceptedWindow(.telemetry, now: now)
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
