internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Data-subject requests as cases (issue 16, DESIGN §10): opened for the one employee an
/// extension and full name match, due one calendar month after receipt, extended once, and closed
/// by the action that answered them (``fulfilDataSubjectRequest``) or by refusal or withdrawal.
extension APIService {
    package func openDataSubjectRequest(_ input: Operations.OpenDataSubjectRequest.Input) async throws -> Operations.OpenDataSubjectRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let now = Date()
        var validator = Validator()
        let customerID = UUID(uuidString: body.customerId)
        if customerID == nil || body.customerId.utf8.count != 36 {
            validator.add(.init(field: "customerId", rule: "format", message: "must be a UUID"))
        }
        let extensionNumber = body._extension.trimmingCharacters(in: .whitespaces)
        if extensionNumber.isEmpty || extensionNumber.utf8.count > 15 || !extensionNumber.utf8.allSatisfy({ (48...57).contains($0) }) {
            validator.add(.init(field: "extension", rule: "format", message: "must be 1 to 15 digits"))
        }
        let fullName = validator.text(body.fullName, field: "fullName")
        let note = body.note.flatMap { validator.text($0, field: "note", required: false, maxLength: 2000) }
        let receivedAt = body.receivedAt ?? now
        // A little slack for the reseller's clock; a request cannot arrive in the future.
        if receivedAt > now.addingTimeInterval(300) {
            validator.add(.init(field: "receivedAt", rule: "range", message: "must not be in the future"))
        }
        try validator.finish()
        let right = DataSubjectRight(rawValue: body.right.rawValue)!
        let record = try await transaction { principal, connection in
            let customer = try await activeCustomer(customerID!, on: connection)
            let cases = DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID)
            let matches = try await cases.matchingEmployees(customerID: customer.id, extensionNumber: extensionNumber, fullName: fullName!)
            guard matches.count == 1 else {
                throw matches.isEmpty
                    ? Problem.unprocessable("No current employee of this customer has extension \(extensionNumber) and that full name; "
                        + "check both with the person (nothing is guessed).", type: "data-subject-not-found")
                    : Problem.unprocessable("More than one employee matches this extension and full name; the request cannot be "
                        + "attributed to one person.", type: "data-subject-ambiguous")
            }
            let record = try await cases.open(.init(
                id: TimeOrderedID.make(), resellerID: customer.resellerID, customerID: customer.id, employeeID: matches[0],
                right: right, receivedAt: receivedAt, note: note, openedBy: principal.id
            ))
            try await auditCase("data-subject-request.open", record, fields: ["right", "receivedAt"], by: principal, on: connection)
            try await WebhookOutbox.emit(.requestOpened, Self.eventPayload(record), on: connection, logger: logger)
            return record
        }
        return .created(.init(body: .json(.init(record, trafficDataRequests: [], now: now))))
    }

    package func listDataSubjectRequests(_ input: Operations.ListDataSubjectRequests.Input) async throws -> Operations.ListDataSubjectRequests.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let customerID = try input.query.customerId.map { try RequestValues.id($0, field: "customerId") }
        let cursor = try input.query.cursor.map(Self.caseCursor)
        let now = Date()
        let page = try await transaction { principal, connection in
            try await DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID).list(
                customerID: customerID, includeClosed: input.query.state == .all,
                due: input.query.due.map { DataSubjectRequestRepository.DueFilter(rawValue: $0.rawValue)! },
                now: now, after: cursor, limit: limit
            )
        }
        return .ok(.init(body: .json(.init(
            items: page.items.map { .init($0, trafficDataRequests: nil, now: now) },
            nextCursor: page.nextCursor.map(Self.timeCursorText)
        ))))
    }

    package func countDataSubjectRequests(_ input: Operations.CountDataSubjectRequests.Input) async throws -> Operations.CountDataSubjectRequests.Output {
        let now = Date()
        let (counts, perReseller) = try await transaction { principal, connection in
            let cases = DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID)
            if principal.role == .platform { return (try await cases.countsByReseller(now: now), true) }
            return (try await cases.countsByCustomer(now: now), false)
        }
        return .ok(.init(body: .json(.init(
            per: perReseller ? .reseller : .customer,
            items: counts.map { .init(id: $0.ownerID.apiString, open: $0.open, overdue: $0.overdue, dueSoon: $0.dueSoon) }
        ))))
    }

    package func getDataSubjectRequest(_ input: Operations.GetDataSubjectRequest.Input) async throws -> Operations.GetDataSubjectRequest.Output {
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        let (record, forwarded) = try await transaction { principal, connection in
            guard let record = try await DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID).get(id) else { throw Self.noSuchCase }
            return (record, try await TrafficDataRequestRepository(connection, logger: logger).list(requestID: id))
        }
        return .ok(.init(body: .json(.init(record, trafficDataRequests: forwarded, now: Date()))))
    }

    package func extendDataSubjectRequest(_ input: Operations.ExtendDataSubjectRequest.Input) async throws -> Operations.ExtendDataSubjectRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        var validator = Validator()
        let reason = validator.text(body.reason, field: "reason", maxLength: 1000)
        if !(1...DataSubjectRequestDeadline.maximumExtensionMonths).contains(body.months) {
            validator.add(.init(field: "months", rule: "range", message: "must be 1 or \(DataSubjectRequestDeadline.maximumExtensionMonths)"))
        }
        try validator.finish()
        let now = Date()
        let (record, forwarded) = try await changeCase(id) { principal, record, cases, connection in
            guard !record.state.isClosed else { throw Self.closedCase(record) }
            if let refusal = DataSubjectRequestDeadline.extensionRefusal(months: body.months, alreadyExtended: record.extensionMonths != nil,
                                                                          dueAt: record.dueAt, now: now) {
                throw Problem.conflict("The deadline cannot be extended: \(refusal).", type: "extension-refused")
            }
            let due = DataSubjectRequestDeadline.dueAt(receivedAt: record.receivedAt, extensionMonths: body.months)
            let extended = try await cases.extend(id, months: body.months, reason: reason!, dueAt: due, at: now)
            try await auditCase("data-subject-request.extend", extended, fields: ["dueAt", "extensionReason"], by: principal, on: connection)
            try await WebhookOutbox.emit(.requestExtended, Self.eventPayload(extended), on: connection, logger: logger)
            return extended
        }
        return .ok(.init(body: .json(.init(record, trafficDataRequests: forwarded, now: now))))
    }

    package func startDataSubjectRequest(_ input: Operations.StartDataSubjectRequest.Input) async throws -> Operations.StartDataSubjectRequest.Output {
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        let now = Date()
        let (record, forwarded) = try await changeCase(id) { principal, record, cases, connection in
            guard record.state.allows(.inProgress) else { throw Self.closedCase(record) }
            let moved = try await cases.move(id, .init(state: .inProgress), at: now)
            try await auditCase("data-subject-request.start", moved, fields: ["state"], by: principal, on: connection)
            return moved
        }
        return .ok(.init(body: .json(.init(record, trafficDataRequests: forwarded, now: now))))
    }

    package func refuseDataSubjectRequest(_ input: Operations.RefuseDataSubjectRequest.Input) async throws -> Operations.RefuseDataSubjectRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        var validator = Validator()
        let reason = validator.text(body.reason, field: "reason", maxLength: 1000)
        try validator.finish()
        let (record, forwarded) = try await close(id, as: .refused, reason: reason, action: "data-subject-request.refuse")
        return .ok(.init(body: .json(.init(record, trafficDataRequests: forwarded, now: Date()))))
    }

    package func withdrawDataSubjectRequest(_ input: Operations.WithdrawDataSubjectRequest.Input) async throws -> Operations.WithdrawDataSubjectRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        var validator = Validator()
        let reason = body.reason.flatMap { validator.text($0, field: "reason", required: false, maxLength: 1000) }
        try validator.finish()
        let (record, forwarded) = try await close(id, as: .withdrawn, reason: reason, action: "data-subject-request.withdraw")
        return .ok(.init(body: .json(.init(record, trafficDataRequests: forwarded, now: Date()))))
    }

    package func forwardTrafficDataRequest(_ input: Operations.ForwardTrafficDataRequest.Input) async throws -> Operations.ForwardTrafficDataRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.requestId, field: "requestId")
        var validator = Validator()
        var numbers: [String] = []
        for (index, number) in body.numbers.enumerated() {
            if let valid = validator.phone(number, field: "numbers[\(index)]") { numbers.append(valid) }
        }
        if body.numbers.isEmpty || body.numbers.count > 20 {
            validator.add(.init(field: "numbers", rule: "size", message: "must hold 1 to 20 numbers"))
        }
        let from = Self.day(body.from, field: "from", into: &validator)
        let to = Self.day(body.to, field: "to", into: &validator)
        if let from, let to, from > to { validator.add(.init(field: "to", rule: "range", message: "must not be before from")) }
        try validator.finish()
        let forwarded = try await transaction { principal, connection in
            guard let record = try await DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID).lock(id) else { throw Self.noSuchCase }
            guard !record.state.isClosed else { throw Self.closedCase(record) }
            let parts = TrafficDataRequestRepository(connection, logger: logger)
            // Only the person's own numbers: the answer counts records, so another number would tell
            // the caller about someone else's traffic (found by attack).
            var held: Set<String> = []
            if let employee = record.employeeID { held = try await parts.numbersHeld(by: employee) }
            let foreign = numbers.filter { !held.contains($0) }
            guard foreign.isEmpty else {
                throw Problem.validation(foreign.map { number in
                    .init(field: "numbers[\(body.numbers.firstIndex(of: number) ?? 0)]", rule: "held", message: "is not a number this person holds or held")
                })
            }
            let forwarded = try await parts.forward(
                id: TimeOrderedID.make(), resellerID: record.resellerID, requestID: id, numbers: Array(Set(numbers)).sorted(),
                from: body.from, to: body.to
            )
            try await auditCase("data-subject-request.forward", record, fields: ["numbers", "period"], by: principal, on: connection)
            return forwarded
        }
        return .created(.init(body: .json(.init(forwarded, platform: false))))
    }

    // MARK: shared steps

    static let noSuchCase = Problem.notFound("No such data-subject request.")

    static func closedCase(_ record: DataSubjectRequestRecord) -> Problem {
        Problem.conflict("The case is \(record.state.rawValue); it cannot move that way.", type: "case-state")
    }

    /// A change to a case: lock it (404 for another tenant's), change, and answer with its forwarded parts.
    func changeCase(
        _ id: UUID,
        _ change: (Principal, DataSubjectRequestRecord, DataSubjectRequestRepository, PostgresConnection) async throws -> DataSubjectRequestRecord
    ) async throws -> (DataSubjectRequestRecord, [TrafficDataRequestRecord]) {
        try await transaction { principal, connection in
            let cases = DataSubjectRequestRepository(connection, logger: logger, tenant: principal.resellerID)
            guard let record = try await cases.lock(id) else { throw Self.noSuchCase }
            let changed = try await change(principal, record, cases, connection)
            return (changed, try await TrafficDataRequestRepository(connection, logger: logger).list(requestID: id))
        }
    }

    /// Refusal or withdrawal: closes the case with its reason; audited, and announced as an event.
    private func close(_ id: UUID, as state: DataSubjectRequestState, reason: String?, action: String) async throws
        -> (DataSubjectRequestRecord, [TrafficDataRequestRecord])
    {
        try await changeCase(id) { principal, record, cases, connection in
            guard record.state.allows(state) else { throw Self.closedCase(record) }
            let closed = try await cases.move(id, .init(state: state, reason: reason), at: Date())
            try await auditCase(action, closed, fields: reason == nil ? ["state"] : ["state", "closingReason"], by: principal, on: connection)
            try await WebhookOutbox.emit(.requestClosed, Self.eventPayload(closed), on: connection, logger: logger)
            return closed
        }
    }

    func auditCase(_ action: String, _ record: DataSubjectRequestRecord, fields: [String], by principal: Principal, on connection: PostgresConnection) async throws {
        try await AuditLog.append(
            AuditEntry(action: action, targetID: record.id, fields: fields, resellerID: record.resellerID, customerID: record.customerID),
            by: principal, on: connection, logger: logger
        )
    }

    /// An event's data: ids, the right, state and dates; never the person's name.
    static func eventPayload(_ record: DataSubjectRequestRecord) -> [String: CanonicalJSON] {
        var payload: [String: CanonicalJSON] = [
            "requestId": .string(record.id.apiString), "customerId": .string(record.customerID.apiString),
            "right": .string(record.right.rawValue), "state": .string(record.state.rawValue),
            "dueAt": .string(CanonicalJSON.timestamp(record.dueAt)),
        ]
        if let employee = record.employeeID { payload["employeeId"] = .string(employee.apiString) }
        if let receipt = record.receiptID { payload["receiptId"] = .string(receipt.apiString) }
        return payload
    }

    /// `<microseconds since 1970>_<id>`: where a page ordered by a time and an id ends.
    static func timeCursorText(_ cursor: (Date, UUID)) -> String {
        "\(Int64((cursor.0.timeIntervalSince1970 * 1_000_000).rounded()))_\(cursor.1.apiString)"
    }

    /// Reads what ``timeCursorText(_:)`` wrote.
    static func caseCursor(_ text: String) throws -> (Date, UUID) {
        let parts = text.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count <= 19, let micros = Int64(parts[0]), parts[1].utf8.count == 36,
              let id = UUID(uuidString: String(parts[1])) else {
            throw Problem.badRequest("cursor must be a nextCursor value.", errors: [.init(field: "cursor", rule: "format", message: "must be a nextCursor value")])
        }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
    }

    /// A `YYYY-MM-DD` body value, or a violation.
    static func day(_ text: String, field: String, into validator: inout Validator) -> Date? {
        guard let day = RequestValues.parseDay(text) else {
            validator.add(.init(field: field, rule: "format", message: "must be a date (YYYY-MM-DD)"))
            return nil
        }
        return day
    }
}
