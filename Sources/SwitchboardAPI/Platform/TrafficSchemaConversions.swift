internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

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
