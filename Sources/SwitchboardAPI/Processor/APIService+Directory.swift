internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Customers' employees (processor scope): the owning reseller and that customer's managers.
extension APIService {
    package func createEmployee(_ input: Operations.CreateEmployee.Input) async throws -> Operations.CreateEmployee.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = TimeOrderedID.make()
        let record = try await transaction { principal, connection in
            let customerID = try RequestValues.id(input.path.customerId, field: "customerId")
            let customer = try await activeCustomer(customerID, on: connection)
            var validator = Validator()
            let fullName = validator.text(body.fullName, field: "fullName")
            let extensionNumber = validator.extensionNumber(body._extension, field: "extension", lengths: customer.extensionLengths)
            let email = validator.email(body.email, field: "email", required: false)
            let mobile = validator.phone(body.mobile, field: "mobile")
            try validator.finish()
            let record = try await EmployeeRepository(connection, logger: logger, scope: principal).create(
                resellerID: customer.resellerID, customerID: customerID, id: id, fullName: fullName!, email: email, mobile: mobile,
                extensionNumber: extensionNumber!
            )
            try await AuditLog.append(
                AuditEntry(action: "employee.create", targetID: id,
                           fields: ["fullName", "extension"] + (email == nil ? [] : ["email"]) + (mobile == nil ? [] : ["mobile"]),
                           resellerID: customer.resellerID, customerID: customerID),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .created(.init(
            headers: .init(eTag: RequestValues.etag(record.version), location: "/v1/employees/\(id.apiString)"),
            body: .json(.init(record))
        ))
    }

    package func listEmployees(_ input: Operations.ListEmployees.Input) async throws -> Operations.ListEmployees.Output {
        let page = try await transaction { principal, connection in
            let customerID = try RequestValues.id(input.path.customerId, field: "customerId")
            let cursor = try RequestValues.cursor(input.query.cursor)
            let limit = try RequestValues.limit(input.query.limit)
            let search = EmployeeSearch(try RequestValues.queryText(input.query.q, field: "q", maxLength: 100))
            let page = try await EmployeeRepository(connection, logger: logger, scope: principal).list(customerID: customerID, search: search, after: cursor, limit: limit)
            // Employees the caller may see belong to a customer it may see; only an empty page
            // needs the customer looked up, to tell an unknown one (404) from one without matches.
            if page.items.isEmpty, try await CustomerRepository(connection, logger: logger, view: .full).get(customerID) == nil {
                throw Problem.notFound("No such customer.")
            }
            return page
        }
        let body = Components.Schemas.EmployeePage(items: page.items.map { .init($0) }, nextCursor: page.nextCursor?.apiString)
        return .ok(.init(body: .json(body)))
    }

    package func getEmployee(_ input: Operations.GetEmployee.Input) async throws -> Operations.GetEmployee.Output {
        let record = try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
            return try await EmployeeRepository(connection, logger: logger, scope: principal).get(id)
        }
        guard let record else { throw Problem.notFound("No such employee.") }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func updateEmployee(_ input: Operations.UpdateEmployee.Input) async throws -> Operations.UpdateEmployee.Output {
        try await answeringStaleETag({ try await applyUpdateEmployee(input) }, stale: { .preconditionFailed($0) })
    }

    private func applyUpdateEmployee(_ input: Operations.UpdateEmployee.Input) async throws -> Operations.UpdateEmployee.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let expected = RequestValues.expectedVersion(input.headers.ifMatch)
        let record = try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            let locked = try await lockForChange(employees, id)
            var validator = Validator()
            var changes = try await contactChanges(fullName: body.fullName, email: body.email, mobile: body.mobile, extensionNumber: body._extension,
                                                   customerID: locked.customerID, into: &validator, on: connection)
            changes.directoryListing = body.directoryListing.map { DirectoryListing(rawValue: $0.rawValue)! }
            changes.marketingConsent = body.marketingConsent
            try validator.finish()
            let record = try await employees.update(id, changes, expectedVersion: expected, locked: locked, by: principal.id, role: principal.role.databaseRole)
            try await audit("employee.update", employee: id, fields: changes.changedFields, locked: locked, by: principal, on: connection)
            return record
        }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func deleteEmployee(_ input: Operations.DeleteEmployee.Input) async throws -> Operations.DeleteEmployee.Output {
        try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            let locked = try await employees.lock(id)  // erasure is allowed while restricted
            guard try await employees.delete(id, locked: locked, quarantine: inventory.quarantine, now: inventory.clock(), vault: vault) else { throw StoreError.notFound }
            try await audit("employee.delete", employee: id, fields: [], locked: locked, by: principal, on: connection)
        }
        return .noContent(.init())
    }

    // MARK: numbers, SIMs, fax-to-mail

    package func assignNumber(_ input: Operations.AssignNumber.Input) async throws -> Operations.AssignNumber.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        var validator = Validator()
        let number = validator.phone(body.number, field: "number")
        try validator.finish()
        let now = inventory.clock()
        let record = try await changeEmployee(input.path.employeeId, action: "number.assign", fields: ["number"]) { employees, id, locked, connection in
            try await StockRepository(connection, logger: logger).claimNumbers(
                [(number!, "number")], resellerID: locked.resellerID, customerID: locked.customerID, use: .voice, now: now
            )
            _ = try await employees.assignNumber(number!, to: id, locked: locked)
        }
        return .created(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func releaseNumber(_ input: Operations.ReleaseNumber.Input) async throws -> Operations.ReleaseNumber.Output {
        let assignmentID = try RequestValues.id(input.path.assignmentId, field: "assignmentId")
        let now = inventory.clock()
        _ = try await changeEmployee(input.path.employeeId, action: "number.quarantine", fields: ["number"]) { employees, id, locked, connection in
            guard let number = try await employees.releaseNumber(assignmentID, of: id) else { throw Problem.notFound("No such number assignment.") }
            try await StockRepository(connection, logger: logger).quarantineNumbers([number], resellerID: locked.resellerID, rule: inventory.quarantine, now: now)
        }
        return .noContent(.init())
    }

    package func assignSim(_ input: Operations.AssignSim.Input) async throws -> Operations.AssignSim.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        var validator = Validator()
        let iccid = validator.iccid(body.iccid, field: "iccid")
        try validator.finish()
        let now = inventory.clock()
        let record = try await changeEmployee(input.path.employeeId, action: "sim.assign", fields: ["iccid"]) { employees, id, locked, connection in
            try await StockRepository(connection, logger: logger).claimSIMs([(iccid!, "iccid")], resellerID: locked.resellerID, customerID: locked.customerID, now: now)
            _ = try await employees.assignSIM(iccid!, to: id, locked: locked)
        }
        return .created(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func releaseSim(_ input: Operations.ReleaseSim.Input) async throws -> Operations.ReleaseSim.Output {
        let simID = try RequestValues.id(input.path.assignmentId, field: "assignmentId")
        let disposition = input.query.disposition.map { SIMDisposition(rawValue: $0.rawValue)! } ?? .available
        let now = inventory.clock()
        _ = try await changeEmployee(input.path.employeeId, action: "sim.\(disposition == .available ? "release" : disposition.rawValue)", fields: ["iccid"]) { employees, id, locked, connection in
            guard let iccid = try await employees.releaseSIM(simID, of: id) else { throw Problem.notFound("No such SIM assignment.") }
            try await StockRepository(connection, logger: logger).releaseSIMs([iccid], resellerID: locked.resellerID, disposition: disposition, now: now)
        }
        return .noContent(.init())
    }

    package func addFaxToMail(_ input: Operations.AddFaxToMail.Input) async throws -> Operations.AddFaxToMail.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        var validator = Validator()
        let faxNumber = validator.phone(body.faxNumber, field: "faxNumber")
        let deliveryEmail = validator.email(body.deliveryEmail, field: "deliveryEmail")
        try validator.finish()
        let now = inventory.clock()
        let record = try await changeEmployee(input.path.employeeId, action: "fax_to_mail.add", fields: ["faxNumber", "deliveryEmail"]) { employees, id, locked, connection in
            try await StockRepository(connection, logger: logger).claimNumbers(
                [(faxNumber!, "faxNumber")], resellerID: locked.resellerID, customerID: locked.customerID, use: .fax, now: now
            )
            _ = try await employees.addFaxToMail(faxNumber: faxNumber!, deliveryEmail: deliveryEmail!, to: id, locked: locked)
        }
        return .created(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func removeFaxToMail(_ input: Operations.RemoveFaxToMail.Input) async throws -> Operations.RemoveFaxToMail.Output {
        let faxID = try RequestValues.id(input.path.assignmentId, field: "assignmentId")
        let now = inventory.clock()
        _ = try await changeEmployee(input.path.employeeId, action: "fax_to_mail.remove", fields: ["faxNumber"]) { employees, id, locked, connection in
            guard let faxNumber = try await employees.removeFaxToMail(faxID, of: id) else { throw Problem.notFound("No such fax-to-mail route.") }
            try await StockRepository(connection, logger: logger).quarantineNumbers([faxNumber], resellerID: locked.resellerID, rule: inventory.quarantine, now: now)
        }
        return .noContent(.init())
    }

    // MARK: data-subject rights

    package func restrictEmployee(_ input: Operations.RestrictEmployee.Input) async throws -> Operations.RestrictEmployee.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        var validator = Validator()
        let reason = validator.text(body.reason, field: "reason", maxLength: 500)
        try validator.finish()
        let record = try await transaction { principal, connection in try await restrict(id, reason: reason!, by: principal, on: connection) }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    /// Freezes the record against processing except storage; audited as `employee.restrict`.
    func restrict(_ id: UUID, reason: String, by principal: Principal, on connection: PostgresConnection) async throws -> EmployeeRecord {
        let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
        let locked = try await employees.lock(id)
        guard locked.anonymisedAt == nil else { throw Self.anonymised }
        try await employees.restrict(id, reason: reason)
        try await audit("employee.restrict", employee: id, fields: ["restriction"], locked: locked, by: principal, on: connection)
        return try await employees.get(id)!
    }

    package func liftRestriction(_ input: Operations.LiftRestriction.Input) async throws -> Operations.LiftRestriction.Output {
        let record = try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            let locked = try await employees.lock(id)
            guard locked.anonymisedAt == nil else { throw Self.anonymised }
            if locked.restrictedAt != nil {
                try await employees.restrict(id, reason: nil)
                try await audit("employee.lift_restriction", employee: id, fields: ["restriction"], locked: locked, by: principal, on: connection)
            }
            return try await employees.get(id)!
        }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func anonymiseEmployee(_ input: Operations.AnonymiseEmployee.Input) async throws -> Operations.AnonymiseEmployee.Output {
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let (result, signed) = try await transaction { principal, connection in
            let (result, locked) = try await anonymise(id, by: principal, on: connection)
            // A signed receipt for an erasure that happened now; repeating the call erases nothing and signs nothing.
            let signed = result.alreadyAnonymised ? nil
                : try await issueAnonymisationReceipt(result, employeeID: id, locked: locked, requestID: nil, on: connection)
            return (result, signed)
        }
        var receipt = AnonymisationReceipt.make(employeeID: id, result: result)
        receipt.signedReceipt = try signed.map(SignedReceiptDocument.schema)
        return .ok(.init(body: .json(receipt)))
    }

    package func exportEmployee(_ input: Operations.ExportEmployee.Input) async throws -> Operations.ExportEmployee.Output {
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let export = try await transaction { principal, connection in try await exportDocument(id, by: principal, on: connection) }
        return .ok(.init(body: .json(export)))
    }

    /// Anonymises in the caller's transaction (destroying the content key first) and audits it.
    func anonymise(_ id: UUID, by principal: Principal, on connection: PostgresConnection) async throws -> (AnonymisationResult, EmployeeLock) {
        let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
        let locked = try await employees.lock(id)
        let result = try await employees.anonymise(id, pseudonym: Pseudonym.make(), quarantine: inventory.quarantine, now: inventory.clock(), vault: vault)
        if !result.alreadyAnonymised {
            try await audit("employee.anonymise", employee: id, fields: AnonymisationReceipt.erasedFields(result), locked: locked, by: principal, on: connection)
        }
        return (result, locked)
    }

    /// What is held about the person (processor scope), audited as `employee.export`.
    func exportDocument(_ id: UUID, by principal: Principal, on connection: PostgresConnection) async throws -> Components.Schemas.EmployeeExport {
        let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
        guard let record = try await employees.get(id) else { throw Problem.notFound("No such employee: nothing is held.") }
        try await audit("employee.export", employee: id, fields: [], resellerID: record.resellerID, customerID: record.customerID, by: principal, on: connection)
        let history = try await employees.preferenceHistory(id)
        let content = try await employees.listContent(of: id)
        return .init(
            exportedAt: Date(),
            employee: .init(record),
            preferenceHistory: history.map { .init($0) },
            content: content.map { .init($0, employeeID: id) },
            note: "Traffic data (CDRs) about this person's numbers is held by the platform as an independent controller under the statutory logging duty and is not part of this processor-scope export."
        )
    }

    // MARK: shared steps

    static let anonymised = Problem.conflict("This person has been anonymised; the record can no longer change.", type: "anonymised")
    static let restricted = Problem.conflict(
        "Processing of this person's data is restricted. Lift the restriction (DELETE /v1/employees/{id}/restriction) first; erasure is still possible.",
        type: "restricted"
    )

    /// The customer, if the caller sees it (404 otherwise) and it still takes employees (409).
    func activeCustomer(_ customerID: UUID, on connection: PostgresConnection) async throws -> CustomerRecord {
        guard let customer = try await CustomerRepository(connection, logger: logger, view: .full).get(customerID) else {
            throw Problem.notFound("No such customer.")
        }
        guard customer.status == .active else {
            throw Problem.conflict("The customer is terminated; its directory takes no new employees.", type: "customer-terminated")
        }
        return customer
    }

    /// Locks the employee and refuses changes to anonymised or restricted people.
    func lockForChange(_ employees: EmployeeRepository, _ id: UUID) async throws -> EmployeeLock {
        let locked = try await employees.lock(id)
        if locked.anonymisedAt != nil { throw Self.anonymised }
        if locked.restrictedAt != nil { throw Self.restricted }
        return locked
    }

    /// A change to a part of an employee: lock, check, change, bump the ETag, audit; one transaction.
    func changeEmployee(
        _ rawID: String, action: String, fields: [String],
        _ change: (EmployeeRepository, UUID, EmployeeLock, PostgresConnection) async throws -> Void
    ) async throws -> EmployeeRecord {
        try await transaction { principal, connection in
            let id = try RequestValues.id(rawID, field: "employeeId")
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            let locked = try await lockForChange(employees, id)
            try await change(employees, id, locked, connection)
            try await employees.touch(id)
            try await audit(action, employee: id, fields: fields, locked: locked, by: principal, on: connection)
            return try await employees.get(id)!
        }
    }

    /// Corrections of a person's name and contact data, validated (an empty e-mail or mobile clears it).
    func contactChanges(fullName: String?, email: String?, mobile: String?, extensionNumber: String?, customerID: UUID,
                        into validator: inout Validator, on connection: PostgresConnection) async throws -> EmployeeChanges {
        var changes = EmployeeChanges()
        if let name = fullName { changes.fullName = validator.text(name, field: "fullName") }
        if let email { changes.email = email.isEmpty ? "" : validator.email(email, field: "email") }
        if let mobile { changes.mobile = mobile.isEmpty ? "" : validator.phone(mobile, field: "mobile") }
        if let extensionNumber {
            let customer = try await CustomerRepository(connection, logger: logger, view: .full).get(customerID)
            changes.extensionNumber = validator.extensionNumber(extensionNumber, field: "extension", lengths: customer?.extensionLengths ?? 2...6)
        }
        return changes
    }

    func audit(_ action: String, employee: UUID, fields: [String], locked: EmployeeLock, by principal: Principal, on connection: PostgresConnection) async throws {
        try await audit(action, employee: employee, fields: fields, resellerID: locked.resellerID, customerID: locked.customerID, by: principal, on: connection)
    }

    func audit(_ action: String, employee: UUID, fields: [String], resellerID: UUID, customerID: UUID, by principal: Principal, on connection: PostgresConnection) async throws {
        try await AuditLog.append(
            AuditEntry(action: action, targetID: employee, fields: fields, resellerID: resellerID, customerID: customerID),
            by: principal, on: connection, logger: logger
        )
    }
}
