internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// The platform's price list: monthly prices for numbers and SIM cards held, and the VAT rate,
/// which each statement copies when it is issued.
extension APIService {
    package func getPriceList(_ input: Operations.GetPriceList.Input) async throws -> Operations.GetPriceList.Output {
        let prices = try await transaction { _, connection in try await PriceListRepository(connection, logger: logger).get() }
        return .ok(.init(body: .json(.init(prices))))
    }

    package func putPriceList(_ input: Operations.PutPriceList.Input) async throws -> Operations.PutPriceList.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        var validator = Validator()
        if body.currency.utf8.count != 3 || !body.currency.utf8.allSatisfy({ (65...90).contains($0) }) {
            validator.add(.init(field: "currency", rule: "format", message: "must be an ISO 4217 code such as DKK"))
        }
        let number = body.numberMonthly.flatMap { Self.decimal($0, field: "numberMonthly", positive: false, wholeDigits: 10, into: &validator) }
        let sim = body.simMonthly.flatMap { Self.decimal($0, field: "simMonthly", positive: false, wholeDigits: 10, into: &validator) }
        let vat = Self.decimal(body.vatRate, field: "vatRate", positive: false, wholeDigits: 1, into: &validator)
        if let vat, !vat.hasPrefix("0") {
            validator.add(.init(field: "vatRate", rule: "range", message: "must be from 0 to below 1 (0.25 is 25 %)"))
        }
        try validator.finish()
        let prices = try await transaction { principal, connection in
            let prices = try await PriceListRepository(connection, logger: logger)
                .set(PriceList(currency: body.currency, numberMonthly: number, simMonthly: sim, vatRate: vat!), by: principal.id)
            try await AuditLog.append(AuditEntry(action: "price-list.update", targetID: nil, fields: ["currency", "numberMonthly", "simMonthly", "vatRate"],
                                                 resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return prices
        }
        return .ok(.init(body: .json(.init(prices))))
    }
}
