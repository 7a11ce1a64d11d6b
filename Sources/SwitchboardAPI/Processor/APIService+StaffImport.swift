internal import Foundation
internal import OpenAPIRuntime
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Joiners in bulk (issue 13): a company's staff as CSV, imported all or none and exported in the
/// same columns. The owning reseller and the company's managers (``OperationAccess/directory``).
extension APIService {
    package func importEmployees(_ input: Operations.ImportEmployees.Input) async throws -> Operations.ImportEmployees.Output {
        guard case .csv(let body) = input.body else { throw Problem.badRequest("Expected a text/csv body.") }
        // The gate admitted the caller before the body; it is read before any connection is taken,
        // so a slow upload never holds one.
        let principal = try await authenticate()
        let customerID = try RequestValues.id(input.path.customerId, field: "customerId")
        let document = try await Self.readStaffCSV(body)
        let dryRun = input.query.dryRun ?? false
        let now = inventory.clock()
        // The long deadline: 10,000 rows write 30,000 audit entries through the chain trigger
        // (about 4 s on a loaded 2-core machine), too close to a request's 15 s.
        let outcome = try await transaction(principal, kind: .long) { connection -> StaffImportOutcome in
            let customer = try await activeCustomer(customerID, on: connection)
            var plan = StaffImportPlan(document, extensionLengths: customer.extensionLengths)
            try await checkAgainstDatabase(&plan, customer: customer, now: now, on: connection)
            guard plan.isApplicable, !dryRun else { return .checked(plan) }
            return .applied(try await apply(plan, customer: customer, now: now, by: principal, on: connection))
        }
        switch outcome {
        case .checked(let plan) where dryRun:
            return .ok(.init(body: .json(.init(dryRun: plan))))
        case .checked(let plan):
            throw plan.refusal
        case .applied(let created):
            return .created(.init(body: .json(.init(applied: created, rows: document.rows.count))))
        }
    }

    package func exportEmployeesCsv(_ input: Operations.ExportEmployeesCsv.Input) async throws -> Operations.ExportEmployeesCsv.Output {
        let csv = try await transaction { principal, connection in
            let customerID = try RequestValues.id(input.path.customerId, field: "customerId")
            guard let customer = try await CustomerRepository(connection, logger: logger, view: .full).get(customerID) else {
                throw Problem.notFound("No such customer.")
            }
            let employees = try await BulkEmployeeRepository(connection, logger: logger).current(resellerID: customer.resellerID, customerID: customerID)
            try await AuditLog.append(
                AuditEntry(action: "employee.export_csv", targetID: customerID, fields: StaffCSVColumn.allCases.map(\.rawValue),
                           resellerID: customer.resellerID, customerID: customerID),
                by: principal, on: connection, logger: logger
            )
            // Built in memory: bounded by the company's size (about 100 bytes per person).
            var csv = StaffCSVWriter.header
            for employee in employees {
                csv += StaffCSVWriter.line(fullName: employee.fullName, extensionNumber: employee.extensionNumber ?? "", email: employee.email,
                                           mobile: employee.mobile, numbers: employee.numbers.map(\.value), iccids: employee.sims.map(\.value))
            }
            return csv
        }
        return .ok(.init(headers: .init(contentDisposition: #"attachment; filename="employees.csv""#), body: .csv(HTTPBody(csv))))
    }

    // MARK: steps

    private enum StaffImportOutcome: Sendable {
        /// Checked only: a dry run, or an import refused (nothing changed either way).
        case checked(StaffImportPlan)
        case applied([(row: Int, employeeID: String)])
    }

    /// Reads the body chunk by chunk as it arrives; 413 at the chunk that passes a limit.
    private static func readStaffCSV(_ body: HTTPBody) async throws -> StaffCSVDocument {
        var reader = StaffCSVReader(maxRows: StaffCSVLimits.maxRows, maxBytes: StaffCSVLimits.maxBytes)
        for try await chunk in body { try reader.consume(chunk) }
        return try reader.finish()
    }

    /// Extensions the company already uses, and numbers and SIM cards outside the caller's stock
    /// or not free in it. The stock rows stay locked until the transaction ends.
    private func checkAgainstDatabase(_ plan: inout StaffImportPlan, customer: CustomerRecord, now: Date, on connection: PostgresConnection) async throws {
        let inUse = try await BulkEmployeeRepository(connection, logger: logger)
            .extensionsInUse(resellerID: customer.resellerID, customerID: customer.id, among: plan.values(of: .extension))
        plan.refuse(.extension) { inUse.contains($0) ? ("unique", "is already used in this company") : nil }
        let stock = StockRepository(connection, logger: logger)
        let numbers = try await stock.numberAvailability(plan.values(of: .number), resellerID: customer.resellerID, now: now)
        plan.refuse(.number) { Self.stockRefusal(numbers[$0]) }
        let sims = try await stock.simAvailability(plan.values(of: .iccid), resellerID: customer.resellerID)
        plan.refuse(.iccid) { Self.stockRefusal(sims[$0]) }
    }

    /// The same words a single assignment answers: a value outside the caller's stock reads the
    /// same whoever holds it.
    private static func stockRefusal(_ availability: StockAvailability?) -> (rule: String, detail: String)? {
        switch availability ?? .notInInventory {
        case .available: nil
        case .notInInventory: ("not-in-inventory", "is not in your stock")
        case .unavailable(let state): ("unavailable", "is \(state) in your stock and cannot be assigned now")
        }
    }

    /// Claims the stock, creates every employee with their numbers and SIM cards, and audits each
    /// person: a constant number of statements whatever the row count.
    private func apply(
        _ plan: StaffImportPlan, customer: CustomerRecord, now: Date, by principal: Principal, on connection: PostgresConnection
    ) async throws -> [(row: Int, employeeID: String)] {
        // checkAgainstDatabase found every value available and holds the rows' locks: take them as they are.
        let stock = StockRepository(connection, logger: logger)
        let field = StaffCSVColumn.self
        try await stock.takeNumbers(plan.values(of: .number), resellerID: customer.resellerID, customerID: customer.id, use: .voice, now: now)
        try await stock.takeSIMs(plan.values(of: .iccid), resellerID: customer.resellerID, customerID: customer.id, now: now)
        let created = plan.employees.map { (id: TimeOrderedID.make(), employee: $0) }
        try await BulkEmployeeRepository(connection, logger: logger).create(created, resellerID: customer.resellerID, customerID: customer.id)
        var entries: [AuditEntry] = []
        for (id, employee) in created {
            func entry(_ action: String, _ fields: [String]) -> AuditEntry {
                AuditEntry(action: action, targetID: id, fields: fields, resellerID: customer.resellerID, customerID: customer.id)
            }
            entries.append(entry("employee.create", employee.auditedFields))
            if !employee.numbers.isEmpty { entries.append(entry("number.assign", [field.number.rawValue])) }
            if !employee.iccids.isEmpty { entries.append(entry("sim.assign", [field.iccid.rawValue])) }
        }
        try await AuditLog.append(entries, by: principal, on: connection, logger: logger)
        return created.map { ($0.employee.row, $0.id.apiString) }
    }
}
