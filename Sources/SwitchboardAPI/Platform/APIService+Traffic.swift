internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

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
