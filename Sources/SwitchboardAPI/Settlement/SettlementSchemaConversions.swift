internal import Foundation
import SwitchboardDomain
import SwitchboardStore

extension Components.Schemas.Statement {
    /// As listed: totals only.
    init(_ record: StatementRecord) {
        self.init(
            id: record.id.apiString, resellerId: record.resellerID.apiString, kind: .init(rawValue: record.kind.rawValue)!,
            month: record.month.description, correctsStatementId: record.correctsStatementID?.apiString, reason: record.reason,
            currency: record.currency, net: record.net, vatRate: record.vatRate, vat: record.vat, gross: record.gross, usageNet: record.usageNet,
            issuedAt: record.issuedAt, issuedBy: record.issuedBy.apiString, lines: [], notes: []
        )
    }

    init(_ issued: IssuedStatement) {
        self.init(issued.statement)
        lines = issued.lines.map { line in
            .init(lineNo: line.lineNo, customerId: line.customerID?.apiString, category: .init(rawValue: line.category.rawValue)!,
                  quantity: line.quantity, unit: .init(rawValue: line.unit)!, billedMinutes: line.billedMinutes, amount: line.amount,
                  description: line.description)
        }
        notes = issued.notes.map(\.apiString)
    }
}

extension Components.Schemas.PriceList {
    init(_ prices: PriceList) {
        self.init(currency: prices.currency, numberMonthly: prices.numberMonthly, simMonthly: prices.simMonthly, vatRate: prices.vatRate,
                  updatedAt: prices.updatedAt ?? Date(timeIntervalSince1970: 0))
    }
}
