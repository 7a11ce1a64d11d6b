import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

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

    /// One multi-row statement per 1,000 totals (see ``MultiRowInsert``), adding to what the month
    /// already holds; `now` is the batch's instant (Citus refuses `now()` in `DO UPDATE`).
    func save(now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let insert = MultiRowInsert(
            table: "sb.usage_monthly AS u",
            columns: ["reseller_id", "customer_id", "month", "number", "calls", "call_seconds", "billed_minutes", "sms", "data_bytes", "charge", "updated_at"],
            suffix: """
                ON CONFLICT (reseller_id, customer_id, month, number) DO UPDATE SET
                    calls = u.calls + excluded.calls, call_seconds = u.call_seconds + excluded.call_seconds,
                    billed_minutes = u.billed_minutes + excluded.billed_minutes, sms = u.sms + excluded.sms,
                    data_bytes = u.data_bytes + excluded.data_bytes, charge = u.charge + excluded.charge, updated_at = excluded.updated_at
                """,
            casts: ["month": "date", "charge": "numeric"]
        )
        try await insert.run(Array(sums), on: connection, logger: logger) { entry, row in
            row.append(entry.key.resellerID)
            row.append(entry.key.customerID)
            row.append(entry.key.month)
            row.append(entry.key.number)
            row.append(entry.value.calls)
            row.append(entry.value.callSeconds)
            row.append(entry.value.billedMinutes)
            row.append(entry.value.sms)
            row.append(entry.value.dataBytes)
            row.append(entry.value.charge.description)
            row.append(now)
        }
    }
}
