import SwitchboardDomain
import SwitchboardStore

extension Components.Schemas.NumberStockCounts {
    init(_ counts: NumberStockCounts) {
        self.init(available: counts.available, assigned: counts.assigned, quarantined: counts.quarantined)
    }
}

extension Components.Schemas.SimStockCounts {
    init(_ counts: SIMStockCounts) {
        self.init(available: counts.available, assigned: counts.assigned, lost: counts.lost, stolen: counts.stolen)
    }
}

extension Components.Schemas.NumberBlock {
    init(_ record: NumberBlockRecord) {
        self.init(id: record.id.apiString, resellerId: record.resellerID.apiString, first: record.firstNumber, count: record.count,
                  allocatedAt: record.allocatedAt, stock: .init(record.stock))
    }
}

extension Components.Schemas.SimBatch {
    init(_ record: SIMBatchRecord) {
        self.init(id: record.id.apiString, resellerId: record.resellerID.apiString, count: record.count, allocatedAt: record.allocatedAt, stock: .init(record.stock))
    }
}

extension Components.Schemas.StockNumber {
    init(_ record: StockNumberRecord) {
        self.init(number: record.number, state: .init(rawValue: record.state.rawValue)!, blockId: record.blockID.apiString,
                  use: record.use.map { .init(rawValue: $0.rawValue)! }, customerId: record.customerID?.apiString,
                  employeeId: record.employeeID?.apiString, quarantinedUntil: record.quarantinedUntil)
    }
}

extension Components.Schemas.StockSim {
    init(_ record: StockSIMRecord) {
        self.init(iccid: record.iccid, state: .init(rawValue: record.state.rawValue)!, batchId: record.batchID.apiString,
                  customerId: record.customerID?.apiString, employeeId: record.employeeID?.apiString)
    }
}
