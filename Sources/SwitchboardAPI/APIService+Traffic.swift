internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Limits of the platform's traffic endpoints, set by the operator.
package struct TrafficSettings: Sendable {
    /// Largest CDR batch body, counted while it streams.
    package var maxBatchBytes: Int
    /// Analytics groups with fewer distinct subscribers are suppressed.
    package var analyticsMinimumSubscribers: Int
    /// Batches ingested at once. Each holds one pooled connection for its COPY and briefly borrows
    /// another to resolve numbers, so this must stay well below the pool size.
    package var concurrentBatches: Int

    package init(maxBatchBytes: Int = 512 << 20, analyticsMinimumSubscribers: Int = 10, concurrentBatches: Int = 4) {
        self.maxBatchBytes = maxBatchBytes
        self.analyticsMinimumSubscribers = analyticsMinimumSubscribers
        self.concurrentBatches = concurrentBatches
    }
}

/// CDR ingest and reads (platform), traffic analytics (platform), usage totals (reseller, manager).
extension APIService {
    package func ingestCdrs(_ input: Operations.IngestCdrs.Input) async throws -> Operations.IngestCdrs.Output {
        guard case .applicationXNdjson(let body) = input.body else { throw Problem.badRequest("Expected an application/x-ndjson body.") }
        let outcome = try await ingestBatch(idempotencyKey: input.headers.idempotencyKey) { principal, connection in
            try await CDRBatchIngest(database: database, principal: principal, logger: logger, maxBodyBytes: traffic.maxBatchBytes)
                .ingest(body, idempotencyKey: input.headers.idempotencyKey, now: Date(), on: connection)
        }
        metrics.batchStored(outcome, kind: .cdr)
        return outcome.replayed ? .ok(.init(body: .json(.init(outcome)))) : .created(.init(body: .json(.init(outcome))))
    }

    package func ingestTelemetry(_ input: Operations.IngestTelemetry.Input) async throws -> Operations.IngestTelemetry.Output {
        guard case .applicationXNdjson(let body) = input.body else { throw Problem.badRequest("Expected an application/x-ndjson body.") }
        let outcome = try await ingestBatch(idempotencyKey: input.headers.idempotencyKey) { principal, connection in
            try await TelemetryBatchIngest(principal: principal, logger: logger, maxBodyBytes: traffic.maxBatchBytes)
                .ingest(body, idempotencyKey: input.headers.idempotencyKey, now: Date(), on: connection)
        }
        metrics.batchStored(outcome, kind: .telemetry)
        return outcome.replayed ? .ok(.init(body: .json(.init(outcome)))) : .created(.init(body: .json(.init(outcome))))
    }

    /// A platform batch in its own transaction, admitted through the batch gate; refusals become problems.
    private func ingestBatch(
        idempotencyKey key: String?,
        _ ingest: @escaping @Sendable (Principal, PostgresConnection) async throws -> BatchOutcome
    ) async throws -> BatchOutcome {
        if let key, !(1...200).contains(key.utf8.count) || !key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F }) {
            throw Problem.badRequest("Idempotency-Key must be 1–200 visible ASCII characters.",
                                     errors: [.init(field: "Idempotency-Key", rule: "format", message: "must be 1–200 visible ASCII characters")])
        }
        return try await batchAdmission.withPermit {
            // A batch streams its body through COPY: the long limit, not a request's.
            try await transaction(kind: .long, ingest)
        }
    }

    package func listCdrs(_ input: Operations.ListCdrs.Input) async throws -> Operations.ListCdrs.Output {
        let to = input.query.to ?? Date()
        let from = input.query.from ?? to.addingTimeInterval(-31 * 86_400)
        guard from < to else {
            throw Problem.validation([.init(field: "from", rule: "range", message: "must be before `to`")])
        }
        let cursor: CDRCursor? = try input.query.cursor.map { token in
            guard let cursor = CDRCursor(token: token) else {
                throw Problem.badRequest("cursor is not one this server issued.", errors: [.init(field: "cursor", rule: "format", message: "must be a nextCursor value")])
            }
            return cursor
        }
        let limit = try RequestValues.limit(input.query.limit)
        _ = try RequestValues.matching(input.query.number, field: "number", description: "an E.164 number such as +4512345678", E164.isValid)
        let page = try await transaction { principal, connection in
            let page = try await TrafficRepository(connection, logger: logger)
                .records(servedNumber: input.query.number, from: from, to: to, after: cursor, limit: limit)
            // Traffic data read by platform staff is always on record (who, when, which fields of the query).
            try await AuditLog.append(AuditEntry(action: "cdrs.read", targetID: nil, fields: ["number", "from", "to"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return page
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.next?.token))))
    }

    package func getTrafficAnalytics(_ input: Operations.GetTrafficAnalytics.Input) async throws -> Operations.GetTrafficAnalytics.Output {
        let from = try RequestValues.day(input.query.from, field: "from")
        let lastDay = try RequestValues.day(input.query.to, field: "to")
        let days = Int(lastDay.timeIntervalSince(from) / 86_400)
        guard (0...92).contains(days) else {
            throw Problem.validation([.init(field: "to", rule: "range", message: "must be on or after `from` and at most 92 days later")])
        }
        if let groupBy = input.query.groupBy, groupBy.count > 3 {
            throw Problem.badRequest("groupBy takes at most 3 dimensions.", errors: [.init(field: "groupBy", rule: "maxItems", message: "must have at most 3 items")])
        }
        let dimensions = (input.query.groupBy ?? []).compactMap { TrafficDimension(rawValue: $0.rawValue) }
        let minimum = traffic.analyticsMinimumSubscribers
        let report = try await transaction { _, connection in
            try await TrafficRepository(connection, logger: logger)
                .traffic(from: from, to: lastDay.addingTimeInterval(86_400), by: dimensions, minimumSubscribers: minimum)
        }
        return .ok(.init(body: .json(.init(
            from: input.query.from, to: input.query.to, groupBy: dimensions.map(\.rawValue), minimumSubscribers: minimum,
            groups: report.groups.map { .init($0) }, suppressedGroups: report.suppressed
        ))))
    }

    package func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        let month = input.query.month
        guard month.utf8.count == 7, let year = Int(month.prefix(4)), let monthNumber = Int(month.suffix(2)), year >= 1970, (1...12).contains(monthNumber) else {
            throw Problem.badRequest("month must be YYYY-MM.", errors: [.init(field: "month", rule: "format", message: "must be YYYY-MM")])
        }
        let lines = try await transaction { principal, connection in
            let lines = try await TrafficRepository(connection, logger: logger).usage(month: "\(month)-01")
            try await AuditLog.append(AuditEntry(action: "usage.read", targetID: principal.customerID, fields: ["month"],
                                                 resellerID: principal.resellerID, customerID: principal.customerID),
                                      by: principal, on: connection, logger: logger)
            return lines
        }
        var customers: [Components.Schemas.CustomerUsage] = []
        for line in lines {
            let number = Components.Schemas.NumberUsage(number: line.number, totals: .init(line))
            if let last = customers.last, last.customerId == line.customerID.apiString {
                customers[customers.count - 1].numbers.append(number)
                customers[customers.count - 1].totals = try customers[customers.count - 1].totals.adding(number.totals)
            } else {
                customers.append(.init(customerId: line.customerID.apiString, totals: number.totals, numbers: [number]))
            }
        }
        return .ok(.init(body: .json(.init(month: month, customers: customers))))
    }
}

extension Components.Schemas.BatchResult {
    init(_ outcome: BatchOutcome) {
        self.init(batchId: outcome.batchID.apiString, records: outcome.records, unknownNumbers: outcome.unknownNumbers, replayed: outcome.replayed)
    }
}

extension Components.Schemas.Cdr {
    init(_ record: StoredCDR) {
        self.init(
            batchId: record.batchID.apiString, line: record.line, kind: .init(rawValue: record.kind) ?? .call,
            direction: .init(rawValue: record.direction) ?? .outgoing, aNumber: record.aNumber, bNumber: record.bNumber,
            startedAt: record.startedAt, durationSeconds: record.durationSeconds, bytes: record.bytes, ip: record.ip, cell: record.cell,
            country: record.country, charge: record.charge, numberKnown: record.resellerID != nil,
            resellerId: record.resellerID?.apiString, customerId: record.customerID?.apiString
        )
    }
}

extension Components.Schemas.TrafficGroup {
    init(_ group: TrafficGroup) {
        self.init(day: group.day, resellerId: group.resellerID?.apiString, country: group.country, kind: group.kind,
                  subscribers: group.subscribers, records: group.records, callSeconds: group.callSeconds, sms: group.sms, dataBytes: group.dataBytes)
    }
}

extension Components.Schemas.UsageTotals {
    init(_ line: UsageLine) {
        self.init(calls: line.calls, callSeconds: line.callSeconds, billedMinutes: line.billedMinutes, sms: line.sms,
                  dataBytes: line.dataBytes, charge: line.charge)
    }

    /// The sum of two numbers' totals. Checked: a customer's total can exceed what one number's
    /// stored total (and the contract's 64-bit integers) can hold, and a trap here would take the
    /// whole server down for a read any tenant may make (found by attack).
    func adding(_ other: Self) throws -> Self {
        func sum(_ left: Int64, _ right: Int64) throws -> Int64 {
            let (value, overflow) = left.addingReportingOverflow(right)
            if overflow { throw UsageTotalsOverflow() }
            return value
        }
        guard let left = Self.tenThousandths(charge), let right = Self.tenThousandths(other.charge) else { throw UsageTotalsOverflow() }
        return .init(calls: try sum(calls, other.calls), callSeconds: try sum(callSeconds, other.callSeconds),
                     billedMinutes: try sum(billedMinutes, other.billedMinutes), sms: try sum(sms, other.sms),
                     dataBytes: try sum(dataBytes, other.dataBytes),
                     charge: FixedPoint4(tenThousandths: try sum(left, right)).description)
    }

    /// A stored total's charge (`numeric(18, 4)` as text, up to 14 whole digits) in ten-thousandths;
    /// nil when it does not fit 64 bits. ``FixedPoint4``'s parser takes one record's 10 digits only.
    static func tenThousandths(_ text: String) -> Int64? {
        let negative = text.hasPrefix("-")
        let digits = negative ? text.dropFirst() : Substring(text)
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0].allSatisfy(\.isASCII), let whole = Int64(parts[0]) else { return nil }
        let fractionText = parts.count == 2 ? String(parts[1]) : ""
        guard fractionText.count <= 4, fractionText.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fraction = Int64(fractionText.padding(toLength: 4, withPad: "0", startingAt: 0)) ?? 0
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 10_000)
        guard !overflow, case let (value, added) = scaled.addingReportingOverflow(fraction), !added else { return nil }
        return negative ? -value : value
    }
}


/// Admits at most `limit` callers at once; the rest wait their turn in order.
package actor AdmissionGate {
    private let limit: Int
    private var admitted = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    package init(limit: Int) {
        self.limit = max(1, limit)
    }

    package func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if admitted < limit {
            admitted += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            admitted -= 1
        } else {
            // The permit passes straight to the next in line.
            waiting.removeFirst().resume()
        }
    }
}
