import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Which reseller and customer held a number at a given time, loaded as the batch needs them.
struct NumberResolver {
    struct Holder {
        var resellerID: UUID
        var customerID: UUID
        var assignmentID: UUID
        var from: UTCInstant
        var until: UTCInstant?
        /// As COPY writes them, rendered once per number rather than once per record.
        var resellerText: String
        var customerText: String
        var assignmentText: String
    }

    private var holders: [String: [Holder]] = [:]

    /// Looks up the numbers not seen before in one query, on a pooled connection of its own:
    /// the batch's connection is busy with the COPY.
    mutating func load(_ numbers: [String], using database: ScopedDatabase, principal: Principal, logger: Logger) async throws {
        let missing = Array(Set(numbers.filter { holders[$0] == nil }))
        guard !missing.isEmpty else { return }
        for number in missing { holders[number] = [] }
        let found = try await database.transaction(.principal(principal), logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT number, reseller_id, customer_id, assignment_id, assigned_at, released_at FROM platform.number_holders(\(missing))",
                logger: logger
            )
            var found: [(String, UUID, UUID, UUID, Date, Date?)] = []
            for try await row in rows.decode((String, UUID, UUID, UUID, Date, Date?).self) { found.append(row) }
            return found
        }
        for (number, reseller, customer, assignment, from, until) in found {
            holders[number, default: []].append(Holder(
                resellerID: reseller, customerID: customer, assignmentID: assignment,
                from: UTCInstant(secondsSince1970: from.timeIntervalSince1970),
                until: until.map { UTCInstant(secondsSince1970: $0.timeIntervalSince1970) },
                resellerText: reseller.uuidString.lowercased(), customerText: customer.uuidString.lowercased(), assignmentText: assignment.uuidString.lowercased()
            ))
        }
    }

    func holder(of number: String, at instant: UTCInstant) -> Holder? {
        holders[number]?.first { $0.from <= instant && ($0.until.map { instant < $0 } ?? true) }
    }
}
