import Crypto
internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Answering a case by performing its action in the case's own transaction: the action, its
/// audit entry, the signed completion receipt and the closed case commit together or not at all.
extension APIService {
    package func fulfilDataSubjectRequest(_ input: Operations.FulfilDataSubjectRequest.Input) async throws -> Operations.FulfilDataSubjectRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        let now = Date()
        let answered = try await transaction { principal, connection in
            let cases = DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID)
            guard let record = try await cases.lock(id) else { throw Self.noSuchCase }
            guard record.state.allows(.completed) else { throw Self.closedCase(record) }
            guard let employeeID = record.employeeID else {
                throw Problem.conflict("The person's record was deleted, so nothing is left to act on; close the case with a refusal stating that.",
                                       type: "employee-deleted")
            }
            try Self.checkAnswer(body, fits: record.right)
            var action = try await perform(record.right, body, employeeID: employeeID, case: record, by: principal, on: connection)
            let receipt = try await issueCompletionReceipt(record, action: action, employeeID: employeeID, at: now, on: connection)
            let completed = try await cases.move(id, .init(
                state: .completed, outcome: record.right.outcome, outcomeFields: action.fields, outcomeDigest: action.exportDigest, receiptID: receipt.id
            ), at: now)
            try await auditCase("data-subject-request.complete", completed, fields: ["state", "outcome"], by: principal, on: connection)
            try await WebhookOutbox.emit(.receiptIssued, [
                "receiptId": .string(receipt.id.apiString), "requestId": .string(id.apiString), "employeeId": .string(employeeID.apiString),
            ], on: connection, logger: logger)
            try await WebhookOutbox.emit(.requestClosed, Self.eventPayload(completed), on: connection, logger: logger)
            action.request = completed
            action.receipt = receipt
            return action
        }
        return .ok(.init(body: .json(.init(
            request: .init(answered.request!, trafficDataRequests: nil, now: now),
            receipt: try SignedReceiptDocument.schema(answered.receipt!),
            export: answered.export,
            anonymisation: try answered.anonymisation.map { result in
                var receipt = AnonymisationReceipt.make(employeeID: result.employeeID, result: result.result)
                receipt.signedReceipt = try answered.anonymisationReceipt.map(SignedReceiptDocument.schema)
                return receipt
            },
            employee: answered.employee.map { .init($0) }
        ))))
    }

    /// What the action did, for the case, its receipt and the answer.
    struct FulfilledAction: Sendable {
        var fields: [String] = []
        var exportDigest: String?
        var export: Components.Schemas.EmployeeExport?
        var anonymisation: (employeeID: UUID, result: AnonymisationResult)?
        var anonymisationReceipt: IssuedReceipt?
        var employee: EmployeeRecord?
        var request: DataSubjectRequestRecord?
        var receipt: IssuedReceipt?
    }

    /// Refuses inputs that belong to another right, or are missing for this one (422 naming the field).
    static func checkAnswer(_ body: Components.Schemas.DataSubjectRequestAnswer, fits right: DataSubjectRight) throws {
        let given: [(String, Bool, DataSubjectRight)] = [
            ("changes", body.changes != nil, .rectification), ("restrictionReason", body.restrictionReason != nil, .restriction),
            ("directoryListing", body.directoryListing != nil, .objection), ("marketingConsent", body.marketingConsent != nil, .objection),
        ]
        var violations = given.filter { $0.1 && $0.2 != right }.map {
            Problem.FieldError(field: $0.0, rule: "right", message: "does not belong to a \(right.rawValue) request")
        }
        switch right {
        case .rectification:
            let changes = body.changes
            if changes == nil || [changes?.fullName, changes?.email, changes?.mobile, changes?._extension].allSatisfy({ $0 == nil }) {
                violations.append(.init(field: "changes", rule: "required", message: "name at least one corrected field"))
            }
        case .restriction where body.restrictionReason == nil:
            violations.append(.init(field: "restrictionReason", rule: "required", message: "is required to restrict processing"))
        case .objection where body.directoryListing == nil && body.marketingConsent == nil:
            violations.append(.init(field: "marketingConsent", rule: "required", message: "give marketingConsent and/or directoryListing"))
        default:
            break
        }
        if !violations.isEmpty { throw Problem.validation(violations) }
    }

    private func perform(
        _ right: DataSubjectRight, _ body: Components.Schemas.DataSubjectRequestAnswer, employeeID: UUID, case record: DataSubjectRequestRecord,
        by principal: Principal, on connection: PostgresConnection
    ) async throws -> FulfilledAction {
        var action = FulfilledAction()
        switch right {
        case .access, .portability:
            // An anonymised person's record holds nothing of them any more: the case is refused, not answered with the pseudonym.
            guard try await EmployeeRepository(connection, logger: logger, scope: principal).lock(employeeID).anonymisedAt == nil else { throw Self.anonymised }
            let export = try await exportDocument(employeeID, by: principal, on: connection)
            action.export = export
            action.exportDigest = try Self.digest(export)
        case .erasure:
            let (result, locked) = try await anonymise(employeeID, by: principal, on: connection)
            action.anonymisation = (employeeID, result)
            // Erased already (by another route): the request is answered; nothing new is erased or signed for it.
            if !result.alreadyAnonymised {
                action.fields = AnonymisationReceipt.erasedFields(result)
                action.anonymisationReceipt = try await issueAnonymisationReceipt(result, employeeID: employeeID, locked: locked, requestID: record.id, on: connection)
            }
        case .restriction:
            var validator = Validator()
            let reason = validator.text(body.restrictionReason, field: "restrictionReason", maxLength: 500)
            try validator.finish()
            action.employee = try await restrict(employeeID, reason: reason!, by: principal, on: connection)
            action.fields = ["restriction"]
        case .objection, .rectification:
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            // While restricted, an objection may still reduce processing (withdraw consent, leave the
            // directory), never widen it; rectification waits for the restriction to be lifted.
            let widens = body.marketingConsent == true || body.directoryListing == .listed
            let locked = right == .objection && !widens ? try await employees.lock(employeeID) : try await lockForChange(employees, employeeID)
            guard locked.anonymisedAt == nil else { throw Self.anonymised }
            var validator = Validator()
            var changes = EmployeeChanges()
            if let corrected = body.changes {
                changes = try await contactChanges(fullName: corrected.fullName, email: corrected.email, mobile: corrected.mobile,
                                                   extensionNumber: corrected._extension, customerID: locked.customerID, into: &validator, on: connection)
            }
            changes.directoryListing = body.directoryListing.map { DirectoryListing(rawValue: $0.rawValue)! }
            changes.marketingConsent = body.marketingConsent
            try validator.finish()
            action.employee = try await employees.update(employeeID, changes, expectedVersion: nil, locked: locked, by: principal.id, role: principal.role.databaseRole)
            action.fields = changes.changedFields
            try await audit("employee.update", employee: employeeID, fields: action.fields, locked: locked, by: principal, on: connection)
        }
        return action
    }

    /// SHA-256 (hex) of the export's canonical JSON: the case keeps this, never the document.
    static func digest(_ export: Components.Schemas.EmployeeExport) throws -> String {
        let canonical = CanonicalJSON.object(try SignedReceiptDocument.members(of: export)).canonicalBytes
        return SHA256.hash(data: canonical).map { String(format: "%02x", $0) }.joined()
    }

    private func issueCompletionReceipt(_ record: DataSubjectRequestRecord, action: FulfilledAction, employeeID: UUID, at now: Date,
                                        on connection: PostgresConnection) async throws -> IssuedReceipt {
        var outcome: [String: CanonicalJSON] = [
            "kind": .string(record.right.outcome.rawValue), "fields": .array(action.fields.map { .string($0) }),
        ]
        if let digest = action.exportDigest { outcome["exportSha256"] = .string(digest) }
        if let anonymisation = action.anonymisationReceipt { outcome["anonymisationReceiptId"] = .string(anonymisation.id.apiString) }
        var fields: [String: CanonicalJSON] = [
            "right": .string(record.right.rawValue), "state": .string(DataSubjectRequestState.completed.rawValue),
            "receivedAt": .string(CanonicalJSON.timestamp(record.receivedAt)), "dueAt": .string(CanonicalJSON.timestamp(record.dueAt)),
            "completedAt": .string(CanonicalJSON.timestamp(now)), "outcome": .object(outcome),
            "statement": .string("The \(record.right.rawValue) request was answered by the action named in outcome, on the controller's instruction."),
        ]
        if let months = record.extensionMonths {
            fields["extendedByMonths"] = .string(String(months))
        }
        let signer = try await receipts.currentSigner(on: connection, logger: logger)
        return try await ReceiptRepository(connection, logger: logger).issue(
            .init(kind: "data-subject-request", resellerID: record.resellerID, customerID: record.customerID, employeeID: employeeID, requestID: record.id),
            fields: fields, signedBy: signer, at: now
        )
    }
}
