internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// The platform's staff as people (DESIGN §11): they sign in, hold duties, and every platform act
/// is audited under their own id. Accounts are managed with a platform API key only, so no person
/// can grant duties, least of all the legal reviewer's, whose four-eyes rule needs two people.
extension APIService {
    package func createPlatformSession(_ input: Operations.CreatePlatformSession.Input) async throws -> Operations.CreatePlatformSession.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let session = try await authenticator.staffLogin(email: body.email, password: body.password, source: signInSource, logger: logger)
        return .created(.init(body: .json(.init(token: session.token, expiresAt: session.expiresAt))))
    }

    package func createPlatformStaff(_ input: Operations.CreatePlatformStaff.Input) async throws -> Operations.CreatePlatformStaff.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let principal = try Self.staffAdministrator(try await authenticate())
        var validator = Validator()
        let email = validator.email(body.email, field: "email")
        let fullName = validator.text(body.fullName, field: "fullName")
        validator.password(body.password, field: "password")
        let duties = Self.duties(body.duties, into: &validator)
        try validator.finish()
        // Hashed outside any transaction, so bcrypt never holds a pooled connection.
        let passwordHash = try await passwords.hash(body.password)
        let record = try await transaction(principal) { connection in
            let record = try await PlatformStaffRepository(connection, logger: logger)
                .create(id: TimeOrderedID.make(), email: email!, fullName: fullName!, duties: duties, passwordHash: passwordHash, createdBy: principal.id)
            try await AuditLog.append(AuditEntry(action: "platform-staff.create", targetID: record.id, fields: ["email", "fullName", "password", "duties"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return record
        }
        return .created(.init(body: .json(.init(record))))
    }

    package func listPlatformStaff(_ input: Operations.ListPlatformStaff.Input) async throws -> Operations.ListPlatformStaff.Output {
        let records = try await transaction { _, connection in try await PlatformStaffRepository(connection, logger: logger).list() }
        return .ok(.init(body: .json(.init(items: records.map(Components.Schemas.PlatformStaff.init)))))
    }

    package func updatePlatformStaff(_ input: Operations.UpdatePlatformStaff.Input) async throws -> Operations.UpdatePlatformStaff.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let principal = try Self.staffAdministrator(try await authenticate())
        let id = try RequestValues.id(input.path.staffId, field: "staffId")
        var validator = Validator()
        let fullName = validator.text(body.fullName, field: "fullName")
        let duties = Self.duties(body.duties, into: &validator)
        try validator.finish()
        let record = try await transaction(principal) { connection in
            guard let change = try await PlatformStaffRepository(connection, logger: logger)
                .update(id, fullName: fullName!, duties: duties, active: body.status == .active)
            else { throw Problem.notFound("No such staff member.") }
            let changed = [
                change.before.fullName != change.after.fullName ? "fullName" : nil,
                change.before.duties != change.after.duties ? "duties" : nil,
                change.before.isActive != change.after.isActive ? "status" : nil,
            ].compactMap { $0 }
            if !changed.isEmpty {
                try await AuditLog.append(AuditEntry(action: "platform-staff.update", targetID: id, fields: changed, resellerID: nil),
                                          by: principal, on: connection, logger: logger)
            }
            return change.after
        }
        return .ok(.init(body: .json(.init(record))))
    }

    /// Staff accounts are the platform's keys' business: a person, whatever their duties, gets 403.
    static func staffAdministrator(_ principal: Principal) throws -> Principal {
        guard principal.kind == .apiKey else {
            throw Problem.forbidden("Staff accounts are managed with a platform API key; no person can grant duties.")
        }
        return principal
    }

    static func duties(_ values: [Components.Schemas.PlatformDuty], into validator: inout Validator) -> Set<PlatformDuty> {
        let duties = Set(values.compactMap { PlatformDuty(rawValue: $0.rawValue) })
        if duties.isEmpty || duties.count != values.count {
            validator.add(.init(field: "duties", rule: "set", message: "must name one to three different duties"))
        }
        return duties
    }
}

extension Components.Schemas.PlatformStaff {
    init(_ record: PlatformStaffRecord) {
        self.init(
            id: record.id.apiString, email: record.email, fullName: record.fullName,
            duties: record.duties.sorted().map { .init(rawValue: $0.rawValue)! },
            status: record.isActive ? .active : .disabled, createdAt: record.createdAt
        )
    }
}
