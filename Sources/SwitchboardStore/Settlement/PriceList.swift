import Foundation

/// The platform's price list: recurring charges per month (nil: not charged) and the VAT rate,
/// all exact decimal texts.
package struct PriceList: Sendable, Equatable {
    package var currency: String
    package var numberMonthly: String?
    package var simMonthly: String?
    package var vatRate: String
    package var updatedAt: Date?

    package init(currency: String, numberMonthly: String?, simMonthly: String?, vatRate: String, updatedAt: Date? = nil) {
        self.currency = currency
        self.numberMonthly = numberMonthly
        self.simMonthly = simMonthly
        self.vatRate = vatRate
        self.updatedAt = updatedAt
    }
}
