internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The staff life cycle (issue 13): a leaver in one step, anonymisation on a later day, a mover.
/// Each is one transaction that locks the people involved in id order (no deadlock between two
/// calls naming the same pair from opposite ends); a dry run takes the same path and rolls back.
extension APIService {
    // MARK: leaver

    package func offboardEmployee(_ input: Operations.OffboardEmployee.Input) async throws -> Operations.OffboardEmployee.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let now = inventory.clock()
        let plan = try OffboardPlan(body, leaver: id, today: ScheduledAnonymiser.day(now))
        let dryRun = input.query.dryRun ?? false
        let result = try await transaction(dryRun: dryRun) { principal, connection in
            try await offboard(id, plan, now: now, dryRun: dryRun, by: principal, on: connection)
        }
        return .ok(.init(body: .json(result)))
    }

    private func offboard(_ id: UUID, _ plan: OffboardPlan, now: Date, dryRun: Bool,
                          by principal: Principal, on connection: PostgresConnection) async throws -> Components.Schemas.OffboardResult {
        let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
        let stock = StockRepository(connection, logger: logger)
        let locks = try await employees.lockInIDOrder([id] + (plan.successorID.map { [$0] } ?? []))
        guard let leaver = locks[id] else { throw Problem.notFound("No such employee.") }
        guard leaver.anonymisedAt == nil else { throw Self.anonymised }
        // A restricted person may still leave: releasing and handing over the company's numbers and
        // the erasure that follows are allowed; passing their voicemail to a colleague is processing.
        if leaver.restrictedAt != nil, plan.content == .handOver { throw Self.restricted }
        let schedules = ScheduledAnonymisationRepository(connection, logger: logger)
        if try await schedules.get(id) != nil {
            throw Problem.conflict("This person's anonymisation is already scheduled; cancel it first (DELETE /v1/employees/{employeeId}/scheduled-anonymisation).",
                                   type: "anonymisation-scheduled")
        }
        let leaverRecord = try await employees.get(id)!
        let successor = try await colleague(plan.successorID, field: "successorId", of: leaver, locks: locks, employees: employees)
        let audit = { (action: String, target: UUID, fields: [String]) in
            try await self.audit(action, employee: target, fields: fields, locked: leaver, by: principal, on: connection)
        }

        /// Released numbers (voice or fax) go into quarantine; one audit entry per value.
        func quarantine(_ values: [String], action: String, field: String) async throws -> [Components.Schemas.InventoryStep] {
            let until = try await stock.quarantineNumbers(values, resellerID: leaver.resellerID, rule: inventory.quarantine, now: now)
            for _ in values { try await audit(action, id, [field]) }
            return values.map { .init(value: $0, action: .quarantine, quarantinedUntil: until) }
        }

        var numbers: [Components.Schemas.InventoryStep] = []
        switch plan.numbers {
        case .handOver:
            for assignment in leaverRecord.numbers {
                _ = try await employees.handOverNumber(assignment.id, from: id, to: successor!.id, locked: successor!.lock)
                try await audit("number.hand_over", successor!.id, ["number"])
                numbers.append(.init(value: assignment.value, action: .handOver))
            }
        case .release:
            for assignment in leaverRecord.numbers { _ = try await employees.releaseNumber(assignment.id, of: id) }
            numbers = try await quarantine(leaverRecord.numbers.map(\.value), action: "number.quarantine", field: "number")
        }

        var sims: [Components.Schemas.InventoryStep] = []
        switch plan.sims {
        case .handOver:
            for sim in leaverRecord.sims {
                _ = try await employees.handOverSIM(sim.id, from: id, to: successor!.id, locked: successor!.lock)
                try await audit("sim.hand_over", successor!.id, ["iccid"])
                sims.append(.init(value: sim.value, action: .handOver))
            }
        case .release(let disposition):
            for sim in leaverRecord.sims { _ = try await employees.releaseSIM(sim.id, of: id) }
            try await stock.releaseSIMs(leaverRecord.sims.map(\.value), resellerID: leaver.resellerID, disposition: disposition, now: now)
            for sim in leaverRecord.sims {
                try await audit("sim.\(disposition == .available ? "release" : disposition.rawValue)", id, ["iccid"])
                sims.append(.init(value: sim.value, action: .init(rawValue: disposition.rawValue)!))
            }
        }

        var faxToMail: [Components.Schemas.InventoryStep] = []
        switch plan.faxToMail {
        case .handOver where !leaverRecord.faxToMail.isEmpty:
            // Faxes reach the person now holding the route: the successor's own address, never the leaver's.
            guard let deliveryEmail = successor!.record.email else {
                throw Problem.validation([FieldViolation(field: "faxToMail", rule: "successor-without-email",
                                                         message: "the successor needs an e-mail address to receive the handed-over faxes")])
            }
            for route in leaverRecord.faxToMail {
                _ = try await employees.handOverFaxToMail(route.id, from: id, to: successor!.id, deliveryEmail: deliveryEmail)
                try await audit("fax_to_mail.hand_over", successor!.id, ["faxNumber", "deliveryEmail"])
                faxToMail.append(.init(value: route.faxNumber, action: .handOver))
            }
        case .handOver:
            break
        case .release:
            for route in leaverRecord.faxToMail { _ = try await employees.removeFaxToMail(route.id, of: id) }
            faxToMail = try await quarantine(leaverRecord.faxToMail.map(\.faxNumber), action: "fax_to_mail.remove", field: "faxNumber")
        }

        var content: [Components.Schemas.ContentStep] = []
        switch plan.content {
        case .handOver:
            for item in try await employees.handOverContent(from: id, to: successor!.id, kinds: OffboardPlan.handedOverContent, vault: vault) {
                try await audit("content.hand_over", successor!.id, [item.kind.rawValue])
                content.append(.init(id: item.id.apiString, kind: item.kind.rawValue, action: .handOver))
            }
        case .delete:
            // Left to the anonymisation (now, or on the scheduled day).
            for item in try await employees.listContent(of: id) where OffboardPlan.handedOverContent.contains(item.kind) {
                content.append(.init(id: item.id.apiString, kind: item.kind.rawValue, action: .delete))
            }
        }

        try await employees.touch(id)
        if let successor, numbers.contains(where: { $0.action == .handOver }) || sims.contains(where: { $0.action == .handOver })
            || !faxToMail.filter({ $0.action == .handOver }).isEmpty || (plan.content == .handOver && !content.isEmpty) {
            try await employees.touch(successor.id)
        }

        var receipt: Components.Schemas.AnonymisationReceipt?
        if let day = plan.anonymiseOn {
            _ = try await schedules.schedule(id, locked: leaver, dueOn: day, by: principal)
            try await audit("employee.anonymisation_scheduled", id, ["anonymiseOn"])
        } else {
            var result = try await employees.anonymise(id, pseudonym: Pseudonym.make(), quarantine: inventory.quarantine, now: now, vault: dryRun ? nil : vault)
            try await audit("employee.anonymise", id, result.erasedFields)
            // What this call released before the erasure belongs on the receipt too.
            result.numbersReleased = (numbers.filter { $0.action == .quarantine }.map(\.value) + result.numbersReleased).sorted()
            result.simsReleased = (sims.filter { $0.action != .handOver }.map(\.value) + result.simsReleased).sorted()
            result.faxToMailRemoved = (faxToMail.filter { $0.action == .quarantine }.map(\.value) + result.faxToMailRemoved).sorted()
            // A dry run's pseudonym and instant are never used, so it gets no receipt.
            if !dryRun { receipt = AnonymisationReceipt.make(employeeID: id, result: result) }
        }
        let handled = [("numbers", numbers.isEmpty), ("sims", sims.isEmpty), ("faxToMail", faxToMail.isEmpty), ("content", content.isEmpty)]
        try await audit("employee.offboard", id, handled.filter { !$0.1 }.map(\.0) + (successor == nil ? [] : ["successorId"]))

        return .init(
            employeeId: id.apiString, dryRun: dryRun, successorId: successor?.id.apiString,
            numbers: numbers, sims: sims, faxToMail: faxToMail, content: content,
            anonymisation: .init(now: plan.anonymiseOn == nil, scheduledOn: plan.anonymiseOn),
            receipt: receipt
        )
    }

    // MARK: scheduled anonymisation

    package func getScheduledAnonymisation(_ input: Operations.GetScheduledAnonymisation.Input) async throws -> Operations.GetScheduledAnonymisation.Output {
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let schedule = try await transaction { principal, connection in
            // A schedule outlived by an earlier anonymisation is the job's to clear, not an answer.
            guard try await EmployeeRepository(connection, logger: logger, scope: principal).get(id)?.anonymisedAt == nil else { return nil as ScheduledAnonymisationRecord? }
            return try await ScheduledAnonymisationRepository(connection, logger: logger).get(id)
        }
        guard let schedule else { throw Problem.notFound("No anonymisation is scheduled for this employee.") }
        return .ok(.init(body: .json(.init(employeeId: id.apiString, anonymiseOn: schedule.dueOn, scheduledAt: schedule.scheduledAt))))
    }

    package func cancelScheduledAnonymisation(_ input: Operations.CancelScheduledAnonymisation.Input) async throws -> Operations.CancelScheduledAnonymisation.Output {
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        try await transaction { principal, connection in
            // Locked, so the job cannot be anonymising the person at this moment.
            let locked = try await EmployeeRepository(connection, logger: logger, scope: principal).lock(id)
            guard locked.anonymisedAt == nil else { throw Self.anonymised }
            guard try await ScheduledAnonymisationRepository(connection, logger: logger).cancel(id) else {
                throw Problem.notFound("No anonymisation is scheduled for this employee.")
            }
            try await audit("employee.anonymisation_cancelled", employee: id, fields: ["anonymiseOn"], locked: locked, by: principal, on: connection)
        }
        return .noContent(.init())
    }

    // MARK: mover

    package func moveToColleague(_ input: Operations.MoveToColleague.Input) async throws -> Operations.MoveToColleague.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.employeeId, field: "employeeId")
        var validator = Validator()
        let targetID = body.toEmployeeId.utf8.count == 36 ? UUID(uuidString: body.toEmployeeId) : nil
        if targetID == nil { validator.add(FieldViolation(field: "toEmployeeId", rule: "format", message: "must be a UUID")) }
        if targetID == id { validator.add(FieldViolation(field: "toEmployeeId", rule: "same-person", message: "must be someone other than this employee")) }
        let moveExtension = body._extension ?? false
        let numbers = body.numbers ?? []
        if !moveExtension, numbers.isEmpty {
            validator.add(FieldViolation(field: "numbers", rule: "nothing-to-move", message: "name numbers to move, or set extension"))
        }
        try validator.finish()
        let dryRun = input.query.dryRun ?? false
        let result = try await transaction(dryRun: dryRun) { principal, connection in
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            let locks = try await employees.lockInIDOrder([id, targetID!])
            guard let source = locks[id] else { throw Problem.notFound("No such employee.") }
            guard source.anonymisedAt == nil else { throw Self.anonymised }
            guard source.restrictedAt == nil else { throw Self.restricted }
            let target = try await colleague(targetID, field: "toEmployeeId", of: source, locks: locks, employees: employees)!
            let sourceRecord = try await employees.get(id)!

            // Every listed number must be one the employee holds now, each named once; nothing moves otherwise.
            var assignments: [UUID] = []
            var check = Validator()
            for (index, number) in numbers.enumerated() {
                if numbers[..<index].contains(number) {
                    check.add(FieldViolation(field: "numbers/\(index)", rule: "duplicate", message: "is listed twice"))
                } else if let held = sourceRecord.numbers.first(where: { $0.value == number }) {
                    assignments.append(held.id)
                } else {
                    check.add(FieldViolation(field: "numbers/\(index)", rule: "not-held", message: "is not a current number of this employee"))
                }
            }
            try check.finish()

            if moveExtension {
                try await employees.swapExtensions(id, target.id)
                try await audit("extension.move", employee: target.id, fields: ["extension"], locked: source, by: principal, on: connection)
            }
            for assignment in assignments {
                _ = try await employees.handOverNumber(assignment, from: id, to: target.id, locked: target.lock)
                try await audit("number.hand_over", employee: target.id, fields: ["number"], locked: source, by: principal, on: connection)
            }
            try await employees.touch(id)
            try await employees.touch(target.id)
            try await audit("employee.move", employee: id, fields: (moveExtension ? ["extension"] : []) + (numbers.isEmpty ? [] : ["numbers"]),
                            locked: source, by: principal, on: connection)
            return Components.Schemas.MoveResult(
                fromEmployeeId: id.apiString, toEmployeeId: target.id.apiString, dryRun: dryRun,
                _extension: moveExtension ? sourceRecord.extensionNumber : nil,
                replacedExtension: moveExtension ? target.record.extensionNumber : nil,
                numbers: numbers
            )
        }
        return .ok(.init(body: .json(result)))
    }

    // MARK: shared steps

    /// The colleague named in `field`, already locked: of the same company, neither anonymised nor
    /// restricted. One the caller cannot see reads exactly like an unknown id (`unknown`).
    private func colleague(_ colleagueID: UUID?, field: String, of person: EmployeeLock, locks: [UUID: EmployeeLock],
                           employees: EmployeeRepository) async throws -> (id: UUID, lock: EmployeeLock, record: EmployeeRecord)? {
        guard let colleagueID else { return nil }
        func refuse(_ rule: String, _ message: String) -> Problem { Problem.validation([FieldViolation(field: field, rule: rule, message: message)]) }
        guard let lock = locks[colleagueID] else { throw refuse("unknown", "is not an employee you can see") }
        guard lock.customerID == person.customerID else { throw refuse("other-company", "must be an employee of the same company") }
        guard lock.anonymisedAt == nil else { throw refuse("anonymised", "has been anonymised") }
        guard lock.restrictedAt == nil else { throw refuse("restricted", "is restricted; lift the restriction first") }
        return (colleagueID, lock, try await employees.get(colleagueID)!)
    }
}
