import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// What passes between two colleagues of one company (leaver and mover): the caller has locked
/// both rows (``lockInIDOrder(_:)``) and checked they belong to the same customer. Handed-over
/// values stay assigned in the reseller's stock: the company keeps them, so no quarantine.
extension EmployeeRepository {
    /// Locks the visible ones of `ids` in one fixed order (by id), so two transactions that lock the
    /// same pair from opposite ends cannot deadlock; an id the caller cannot see is missing.
    public func lockInIDOrder(_ ids: [UUID]) async throws -> [UUID: EmployeeLock] {
        var locks: [UUID: EmployeeLock] = [:]
        for id in Set(ids).sorted(by: { $0.uuidString < $1.uuidString }) {
            do {
                locks[id] = try await lock(id)
            } catch StoreError.notFound {
                continue
            }
        }
        return locks
    }

    /// Ends `from`'s assignment and starts `to`'s in the same transaction, so both carry the same
    /// instant (`now()`) and CDR attribution passes from one to the other without a gap.
    /// Nil when `from` holds no such assignment.
    public func handOverNumber(_ assignmentID: UUID, from: UUID, to: UUID, locked successor: EmployeeLock) async throws -> String? {
        guard let number = try await releaseNumber(assignmentID, of: from) else { return nil }
        _ = try await assignNumber(number, to: to, locked: successor)
        return number
    }

    /// As ``handOverNumber(_:from:to:locked:)``, for a SIM card.
    public func handOverSIM(_ simID: UUID, from: UUID, to: UUID, locked successor: EmployeeLock) async throws -> String? {
        guard let iccid = try await releaseSIM(simID, of: from) else { return nil }
        _ = try await assignSIM(iccid, to: to, locked: successor)
        return iccid
    }

    /// Gives the route to `to`, delivering to `deliveryEmail` from now on. Nil when `from` has no such route.
    public func handOverFaxToMail(_ faxID: UUID, from: UUID, to: UUID, deliveryEmail: String) async throws -> String? {
        try await connection.query(
            """
            UPDATE sb.fax_to_mail SET employee_id = \(to), delivery_email = \(deliveryEmail)
            WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(faxID) AND employee_id = \(from) RETURNING fax_number
            """,
            logger: logger
        ).collect().first?.decode(String.self)
    }

    /// Moves `from`'s content of `kinds` to `to` (the content-owner trigger re-checks the new owner),
    /// re-sealed with `to`'s key one item at a time, so the leaver's later erasure leaves what the
    /// successor now holds readable; returns what moved, in id order.
    public func handOverContent(from: UUID, to: UUID, kinds: [ContentKind], vault: ContentVault) async throws -> [(id: UUID, kind: ContentKind)] {
        let rows = try await connection.query(
            "SELECT id, kind FROM sb.employee_content WHERE reseller_id = sb.statement_tenant(\(tenant)) AND employee_id = \(from) AND kind = ANY(\(kinds.map(\.rawValue))) ORDER BY id FOR UPDATE",
            logger: logger
        )
        var moving: [(id: UUID, kind: ContentKind)] = []
        for try await (id, kind) in rows.decode((UUID, ContentKind).self) { moving.append((id, kind)) }
        for item in moving {
            guard let stored = try await fetchContent(item.id, of: from) else { continue }
            let plain = try await vault.open(stored.data, sealed: stored.sealed, contentID: item.id, owner: from)
            let resealed = try await vault.seal(plain, contentID: item.id, owner: to)
            try await connection.query(
                """
                UPDATE sb.employee_content SET employee_id = \(to), data = \(ByteBuffer(bytes: resealed)), sealed = true, byte_size = \(plain.count)
                WHERE reseller_id = sb.statement_tenant(\(tenant)) AND id = \(item.id) AND employee_id = \(from)
                """,
                logger: logger
            )
        }
        return moving.sorted { $0.id.uuidString < $1.id.uuidString }
    }

    /// Swaps two colleagues' extensions in one statement (the unique constraint is checked at its
    /// end, migration 0010); the caller touches both records.
    public func swapExtensions(_ first: UUID, _ second: UUID) async throws {
        try await connection.query(
            """
            UPDATE sb.employees e SET extension = other.extension
            FROM sb.employees other
            WHERE e.reseller_id = sb.statement_tenant(\(tenant)) AND other.reseller_id = sb.statement_tenant(\(tenant))
              AND (e.id, other.id) IN ((\(first), \(second)), (\(second), \(first)))
            """,
            logger: logger
        )
    }
}
