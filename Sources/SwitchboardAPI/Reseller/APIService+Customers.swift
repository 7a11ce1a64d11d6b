internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// A reseller's customers, its agreement, and its customers' managers.
extension APIService {
    package func getDpaStatus(_ input: Operations.GetDpaStatus.Input) async throws -> Operations.GetDpaStatus.Output {
        let status = try await transaction { principal, connection in
            try await DPARepository(connection, logger: logger).status(resellerID: principal.resellerID!)
        }
        return .ok(.init(body: .json(.init(status))))
    }

    package func acceptDpa(_ input: Operations.AcceptDpa.Input) async throws -> Operations.AcceptDpa.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let status = try await transaction { principal, connection in
            let resellerID = principal.resellerID!
            let repository = DPARepository(connection, logger: logger)
            let current = try await repository.status(resellerID: resellerID).currentVersion
            guard body.version == current else {
                throw Problem.conflict("Only the current agreement, version \(current), can be accepted.", type: "dpa-version",
                                       errors: [.init(field: "version", rule: "current", message: "must be \(current)")])
            }
            let id = TimeOrderedID.make()
            let (status, created) = try await repository.accept(resellerID: resellerID, id: id, version: current, by: principal.id)
            if created {
                try await AuditLog.append(
                    AuditEntry(action: "dpa.accept", targetID: id, fields: ["version"], resellerID: resellerID),
                    by: principal, on: connection, logger: logger
                )
            }
            return status
        }
        return .created(.init(body: .json(.init(status))))
    }

    package func createCustomer(_ input: Operations.CreateCustomer.Input) async throws -> Operations.CreateCustomer.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = TimeOrderedID.make()
        let record = try await transaction { principal, connection in
            var validator = Validator()
            let name = validator.text(body.name, field: "name")
            let cvr = validator.cvr(body.cvr, field: "cvr")
            let externalRef = validator.text(body.externalRef, field: "externalRef", required: false, maxLength: 100)
            let lengths = Self.extensionLengths(body.extensionLength, validator: &validator) ?? 2...6
            try validator.finish()
            let resellerID = principal.resellerID!
            let record = try await CustomerRepository(connection, logger: logger, view: .full)
                .create(resellerID: resellerID, id: id, name: name!, cvr: cvr, externalRef: externalRef, extensionLengths: lengths)
            try await AuditLog.append(
                AuditEntry(action: "customer.create", targetID: id, fields: ["name", "cvr", "externalRef"], resellerID: resellerID, customerID: id),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .created(.init(
            headers: .init(eTag: RequestValues.etag(record.version), location: "/v1/customers/\(id.apiString)"),
            body: .json(.init(record))
        ))
    }

    package func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        let page = try await transaction { principal, connection in
            let cursor = try RequestValues.cursor(input.query.cursor)
            let limit = try RequestValues.limit(input.query.limit)
            return try await customers(connection, for: principal).list(after: cursor, limit: limit)
        }
        let body = Components.Schemas.CustomerPage(items: page.items.map { .init($0) }, nextCursor: page.nextCursor?.apiString)
        return .ok(.init(body: .json(body)))
    }

    package func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        let record = try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.customerId, field: "customerId")
            return try await customers(connection, for: principal).get(id)
        }
        guard let record else { throw Problem.notFound("No such customer.") }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        try await answeringStaleETag({ try await applyUpdateCustomer(input) }, stale: { .preconditionFailed($0) })
    }

    private func applyUpdateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let expected = RequestValues.expectedVersion(input.headers.ifMatch)
        let record = try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.customerId, field: "customerId")
            var validator = Validator()
            var changes = CustomerChanges()
            if let name = body.name { changes.name = validator.text(name, field: "name") }
            if let cvr = body.cvr { changes.cvr = cvr.isEmpty ? "" : validator.cvr(cvr, field: "cvr") }
            if let externalRef = body.externalRef {
                changes.externalRef = externalRef.isEmpty ? "" : validator.text(externalRef, field: "externalRef", maxLength: 100)
            }
            changes.extensionLengths = Self.extensionLengths(body.extensionLength, validator: &validator)
            try validator.finish()
            let record = try await CustomerRepository(connection, logger: logger, view: .full).update(id, changes, expectedVersion: expected)
            try await AuditLog.append(
                AuditEntry(action: "customer.update", targetID: id, fields: changes.changedFields, resellerID: record.resellerID, customerID: id),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func terminateCustomer(_ input: Operations.TerminateCustomer.Input) async throws -> Operations.TerminateCustomer.Output {
        let record = try await changeStatus(input.path.customerId, action: "customer.terminate") { try await $0.terminate($1) }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func reactivateCustomer(_ input: Operations.ReactivateCustomer.Input) async throws -> Operations.ReactivateCustomer.Output {
        let record = try await changeStatus(input.path.customerId, action: "customer.reactivate") { try await $0.reactivate($1) }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    /// Terminates or reactivates, auditing only a change (repeating either answers the customer as it is).
    private func changeStatus(_ rawID: String, action: String,
                              _ change: (CustomerRepository, UUID) async throws -> (record: CustomerRecord, changed: Bool)) async throws -> CustomerRecord {
        try await transaction { principal, connection in
            let id = try RequestValues.id(rawID, field: "customerId")
            let (record, changed) = try await change(CustomerRepository(connection, logger: logger, view: .full), id)
            if changed {
                try await AuditLog.append(
                    AuditEntry(action: action, targetID: id, fields: ["status", "terminatedAt"], resellerID: record.resellerID, customerID: id),
                    by: principal, on: connection, logger: logger
                )
                // The reseller's systems hear of a scheduled purge (and of its cancellation) with the change itself.
                if let terminatedAt = record.terminatedAt {
                    let purgeAfter = terminatedAt.addingTimeInterval(TimeInterval(RetentionPeriod.terminatedCustomerDays) * 86_400)
                    try await WebhookOutbox.emit(.purgeScheduled, [
                        "customerId": .string(id.apiString), "terminatedAt": .string(CanonicalJSON.timestamp(terminatedAt)),
                        "purgeAfter": .string(CanonicalJSON.timestamp(purgeAfter)),
                    ], on: connection, logger: logger)
                }
            }
            return record
        }
    }

    package func createManager(_ input: Operations.CreateManager.Input) async throws -> Operations.CreateManager.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        // Everything checkable is checked before a bcrypt hash is spent, and the hash is computed
        // outside any transaction so it never holds a pooled connection.
        let (principal, customerID, email, fullName) = try await transaction { principal, connection in
            let customerID = try RequestValues.id(input.path.customerId, field: "customerId")
            var validator = Validator()
            let email = validator.email(body.email, field: "email")
            let fullName = validator.text(body.fullName, field: "fullName")
            validator.password(body.password, field: "password")
            try validator.finish()
            let resellerID = principal.resellerID!
            guard let customer = try await CustomerRepository(connection, logger: logger, view: .full).get(customerID) else {
                throw Problem.notFound("No such customer.")
            }
            guard customer.status == .active else {
                throw Problem.conflict("The customer is terminated; it can get no new managers.", type: "customer-terminated")
            }
            guard try await DPARepository(connection, logger: logger).status(resellerID: resellerID).acceptedAt != nil else {
                throw DataProcessingAgreementMissing()
            }
            return (principal, customerID, email!, fullName!)
        }
        let resellerID = principal.resellerID!
        let passwordHash = try await passwords.hash(body.password)
        let id = TimeOrderedID.make()
        let record = try await transaction(principal) { connection in
            let record = try await ManagerRepository(connection, logger: logger)
                .create(resellerID: resellerID, customerID: customerID, id: id, email: email, fullName: fullName, passwordHash: passwordHash)
            try await AuditLog.append(
                AuditEntry(action: "manager.create", targetID: id, fields: ["email", "fullName", "password"], resellerID: resellerID, customerID: customerID),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .created(.init(body: .json(.init(record))))
    }

    static func extensionLengths(_ value: Components.Schemas.ExtensionLength?, validator: inout Validator) -> ClosedRange<Int>? {
        guard let value else { return nil }
        guard 1 <= value.min, value.min <= value.max, value.max <= 15 else {
            validator.add(.init(field: "extensionLength", rule: "range", message: "needs 1 ≤ min ≤ max ≤ 15"))
            return nil
        }
        return value.min...value.max
    }

    private func customers(_ connection: PostgresConnection, for principal: Principal) -> CustomerRepository {
        CustomerRepository(connection, logger: logger, view: CustomerView(for: principal), tenant: principal.resellerID)
    }
}
