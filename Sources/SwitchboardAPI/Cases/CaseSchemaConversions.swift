internal import Foundation
import SwitchboardDomain
import SwitchboardStore

extension Components.Schemas.DataSubjectRequest {
    /// `trafficDataRequests` nil: a list row, which does not load them (answered as empty).
    init(_ record: DataSubjectRequestRecord, trafficDataRequests: [TrafficDataRequestRecord]?, now: Date) {
        self.init(
            id: record.id.apiString, customerId: record.customerID.apiString, employeeId: record.employeeID?.apiString,
            right: .init(rawValue: record.right.rawValue)!, state: .init(rawValue: record.state.rawValue)!,
            receivedAt: record.receivedAt, dueAt: record.dueAt, initialDueAt: record.initialDueAt, overdue: record.isOverdue(at: now),
            _extension: record.extensionMonths.map { months in
                .init(months: months, reason: record.extensionReason ?? "", extendedAt: record.extendedAt ?? record.updatedAt)
            },
            note: record.note,
            outcome: record.outcome.map { kind in
                .init(kind: .init(rawValue: kind.rawValue)!, fields: record.outcomeFields, exportSha256: record.outcomeDigest,
                      receiptId: record.receiptID?.apiString)
            },
            closingReason: record.closingReason, closedAt: record.closedAt, createdAt: record.createdAt, updatedAt: record.updatedAt,
            trafficDataRequests: (trafficDataRequests ?? []).map { .init($0, platform: false) }
        )
    }
}

extension Components.Schemas.TrafficDataRequest {
    /// The platform also sees which reseller forwarded it; never a name (none is stored).
    init(_ record: TrafficDataRequestRecord, platform: Bool) {
        self.init(
            id: record.id.apiString, requestId: record.requestID.apiString, resellerId: platform ? record.resellerID.apiString : nil,
            numbers: record.numbers, from: record.periodFrom, to: record.periodTo, state: record.answered ? .answered : .forwarded,
            answer: record.answer, recordsHeld: record.recordsHeld.map(Int.init), answeredAt: record.answeredAt, createdAt: record.createdAt
        )
    }
}
