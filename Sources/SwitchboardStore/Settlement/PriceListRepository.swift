import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// The one-row price list (sb_platform only): read at every issue, so a statement carries the
/// prices and VAT rate of the moment it was issued.
package struct PriceListRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    package func get() async throws -> PriceList {
        let row = try await connection.query(
            "SELECT currency, number_monthly::text, sim_monthly::text, vat_rate::text, updated_at FROM sb.price_list",
            logger: logger
        ).collect()[0]
        let (currency, number, sim, vat, updated) = try row.decode((String, String?, String?, String, Date).self)
        return PriceList(currency: currency, numberMonthly: number, simMonthly: sim, vatRate: vat, updatedAt: updated)
    }

    package func set(_ prices: PriceList, by principal: UUID) async throws -> PriceList {
        let row = try await connection.query(
            """
            UPDATE sb.price_list SET currency = \(prices.currency), number_monthly = \(prices.numberMonthly)::numeric,
                sim_monthly = \(prices.simMonthly)::numeric, vat_rate = \(prices.vatRate)::numeric, updated_at = now(), updated_by = \(principal)
            RETURNING currency, number_monthly::text, sim_monthly::text, vat_rate::text, updated_at
            """,
            logger: logger
        ).collect()[0]
        let (currency, number, sim, vat, updated) = try row.decode((String, String?, String?, String, Date).self)
        return PriceList(currency: currency, numberMonthly: number, simMonthly: sim, vatRate: vat, updatedAt: updated)
    }
}
