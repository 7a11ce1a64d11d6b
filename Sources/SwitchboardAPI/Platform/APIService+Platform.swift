internal import Foundation
import SwitchboardDomain
import SwitchboardStore
import PostgresNIO

/// Resellers and API keys.
extension APIService {
    package func createReseller(_ input: Operations.CreateReseller.Input) async throws -> Operations.CreateReseller.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = TimeOrderedID.make()
        let record = try await transaction { principal, connection in
            var validator = Validator()
            let name = validator.text(body.name, field: "name")
            let contactName = validator.text(body.contact?.name, field: "contact.name", required: false)
            let contactEmail = validator.email(body.contact?.email, field: "contact.email", required: false)
            let contactPhone = validator.phone(body.contact?.phone, field: "contact.phone")
            try validator.finish()
            let record = try await ResellerRepository(connection, logger: logger)
                .create(id: id, name: name!, contactName: contactName, contactEmail: contactEmail, contactPhone: contactPhone)
            try await AuditLog.append(
                AuditEntry(action: "reseller.create", targetID: id, fields: ["name", "contact"], resellerID: id),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .created(.init(
            headers: .init(eTag: RequestValues.etag(record.version), location: "/v1/resellers/\(id.apiString)"),
            body: .json(.init(record))
        ))
    }

    package func listResellers(_ input: Operations.ListResellers.Input) async throws -> Operations.ListResellers.Output {
        let page = try await transaction { _, connection in
            let cursor = try RequestValues.cursor(input.query.cursor)
            let limit = try RequestValues.limit(input.query.limit)
            return try await ResellerRepository(connection, logger: logger).list(after: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor?.apiString))))
    }

    package func getReseller(_ input: Operations.GetReseller.Input) async throws -> Operations.GetReseller.Output {
        let record = try await transaction { _, connection in
            try await ResellerRepository(connection, logger: logger).get(try RequestValues.id(input.path.resellerId, field: "resellerId"))
        }
        guard let record else { throw Problem.notFound("No such reseller.") }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func updateReseller(_ input: Operations.UpdateReseller.Input) async throws -> Operations.UpdateReseller.Output {
        try await answeringStaleETag({ try await applyUpdateReseller(input) }, stale: { .preconditionFailed($0) })
    }

    private func applyUpdateReseller(_ input: Operations.UpdateReseller.Input) async throws -> Operations.UpdateReseller.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let expected = RequestValues.expectedVersion(input.headers.ifMatch)
        let record = try await transaction { principal, connection in
            let id = try RequestValues.id(input.path.resellerId, field: "resellerId")
            var validator = Validator()
            var changes = ResellerChanges()
            if let name = body.name { changes.name = validator.text(name, field: "name") }
            changes.status = body.status.map { ResellerStatus(rawValue: $0.rawValue)! }
            if let contact = body.contact {
                changes.contactName = contact.name.flatMap { $0.isEmpty ? "" : validator.text($0, field: "contact.name") }
                changes.contactEmail = contact.email.flatMap { $0.isEmpty ? "" : validator.email($0, field: "contact.email") }
                changes.contactPhone = contact.phone.flatMap { $0.isEmpty ? "" : validator.phone($0, field: "contact.phone") }
            }
            try validator.finish()
            let record = try await ResellerRepository(connection, logger: logger).update(id, changes, expectedVersion: expected)
            try await AuditLog.append(
                AuditEntry(action: "reseller.update", targetID: id, fields: changes.changedFields, resellerID: id),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .ok(.init(headers: .init(eTag: RequestValues.etag(record.version)), body: .json(.init(record))))
    }

    package func createResellerApiKey(_ input: Operations.CreateResellerApiKey.Input) async throws -> Operations.CreateResellerApiKey.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let (record, secret) = try await transaction { principal, connection in
            let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
            let name = try validatedKeyName(body.name)
            // Locked, so two onboarding calls cannot both see "no key yet".
            guard try await ResellerRepository(connection, logger: logger).lock(resellerID) else { throw StoreError.notFound }
            guard try await !APIKeyRepository(connection, logger: logger).resellerHasKey(resellerID) else {
                throw Problem.conflict(
                    "This reseller already has its onboarding key; further keys are issued by the reseller itself (POST /v1/api-keys).",
                    type: "already-onboarded"
                )
            }
            return try await issueKey(name: name, resellerID: resellerID, by: principal, on: connection)
        }
        return .created(.init(body: .json(.init(record, secret: secret))))
    }

    /// A key for a reseller left without any live key. The database allows the platform's insert
    /// only while no live key exists and itself writes the recovery into the reseller's and the
    /// platform's audit chains, so this handler adds no audit entry of its own.
    package func recoverResellerApiKey(_ input: Operations.RecoverResellerApiKey.Input) async throws -> Operations.RecoverResellerApiKey.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let secret = Credentials.issue(.resellerKey)
        let id = TimeOrderedID.make()
        let record = try await transaction { principal, connection in
            let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
            let name = try validatedKeyName(body.name)
            guard try await ResellerRepository(connection, logger: logger).lock(resellerID) else { throw StoreError.notFound }
            let keys = APIKeyRepository(connection, logger: logger)
            guard try await keys.resellerHasKey(resellerID) else {
                throw Problem.conflict("This reseller has never had a key; onboard it with POST /v1/resellers/{resellerId}/api-keys.", type: "not-onboarded")
            }
            guard try await !keys.resellerHasActiveKey(resellerID) else {
                throw Problem.conflict(
                    "This reseller still has a live API key; recovery is possible only once all its keys are revoked.",
                    type: "reseller-has-live-key"
                )
            }
            return try await keys.create(id: id, resellerID: resellerID, name: name, secret: secret, createdBy: principal.id)
        }
        return .created(.init(body: .json(.init(record, secret: secret.secret))))
    }

    package func createApiKey(_ input: Operations.CreateApiKey.Input) async throws -> Operations.CreateApiKey.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let (record, secret) = try await transaction { principal, connection in
            try Self.platformKeysAreKeysBusiness(principal)
            let name = try validatedKeyName(body.name)
            return try await issueKey(name: name, resellerID: principal.resellerID, by: principal, on: connection)
        }
        return .created(.init(body: .json(.init(record, secret: secret))))
    }

    package func createTelephonyKey(_ input: Operations.CreateTelephonyKey.Input) async throws -> Operations.CreateTelephonyKey.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let secret = Credentials.issue(.telephonyKey)
        let id = TimeOrderedID.make()
        let record = try await transaction { principal, connection in
            let name = try validatedKeyName(body.name)
            let record = try await APIKeyRepository(connection, logger: logger).createTelephonyKey(id: id, name: name, secret: secret, createdBy: principal.id)
            try await AuditLog.append(
                AuditEntry(action: "telephony_key.create", targetID: id, fields: ["name"], resellerID: nil),
                by: principal, on: connection, logger: logger
            )
            return record
        }
        return .created(.init(body: .json(.init(record, secret: secret.secret))))
    }

    package func listTelephonyKeys(_ input: Operations.ListTelephonyKeys.Input) async throws -> Operations.ListTelephonyKeys.Output {
        let keys = try await transaction { _, connection in
            try await APIKeyRepository(connection, logger: logger).listTelephonyKeys()
        }
        return .ok(.init(body: .json(.init(items: keys.map { .init($0) }))))
    }

    package func revokeTelephonyKey(_ input: Operations.RevokeTelephonyKey.Input) async throws -> Operations.RevokeTelephonyKey.Output {
        try await transaction { principal, connection in
            let keyID = try RequestValues.id(input.path.keyId, field: "keyId")
            guard try await APIKeyRepository(connection, logger: logger).revokeTelephonyKey(keyID) else { throw StoreError.notFound }
            try await AuditLog.append(AuditEntry(action: "telephony_key.revoke", targetID: keyID, resellerID: nil), by: principal, on: connection, logger: logger)
        }
        return .noContent(.init())
    }

    package func listApiKeys(_ input: Operations.ListApiKeys.Input) async throws -> Operations.ListApiKeys.Output {
        let keys = try await transaction { principal, connection in
            try await APIKeyRepository(connection, logger: logger).list(heldBy: APIKeyHolder(for: principal))
        }
        return .ok(.init(body: .json(.init(items: keys.map { .init($0) }))))
    }

    package func revokeApiKey(_ input: Operations.RevokeApiKey.Input) async throws -> Operations.RevokeApiKey.Output {
        try await transaction { principal, connection in
            try Self.platformKeysAreKeysBusiness(principal)
            let keyID = try RequestValues.id(input.path.keyId, field: "keyId")
            guard try await APIKeyRepository(connection, logger: logger).revoke(keyID, heldBy: APIKeyHolder(for: principal)) else {
                throw StoreError.notFound
            }
            try await AuditLog.append(
                AuditEntry(action: "api_key.revoke", targetID: keyID, resellerID: principal.resellerID),
                by: principal, on: connection, logger: logger
            )
        }
        return .noContent(.init())
    }

    private func validatedKeyName(_ raw: String) throws -> String {
        var validator = Validator()
        let name = validator.text(raw, field: "name", maxLength: 100)
        try validator.finish()
        return name!
    }

    private func issueKey(name: String, resellerID: UUID?, by principal: Principal, on connection: PostgresConnection) async throws -> (APIKeyRecord, String) {
        let secret = Credentials.issue(resellerID == nil ? .platformKey : .resellerKey)
        let id = TimeOrderedID.make()
        let record = try await APIKeyRepository(connection, logger: logger)
            .create(id: id, resellerID: resellerID, name: name, secret: secret, createdBy: principal.id)
        try await AuditLog.append(
            AuditEntry(action: "api_key.create", targetID: id, fields: ["name"], resellerID: resellerID),
            by: principal, on: connection, logger: logger
        )
        return (record, secret.secret)
    }

    /// The platform's own keys are made and revoked with a platform key, never by a person: a key
    /// holds duties a person may lack and outlives their account, so a session minting one would
    /// escape both its duties and its disabling.
    static func platformKeysAreKeysBusiness(_ principal: Principal) throws {
        guard principal.role != .platform || principal.kind == .apiKey else {
            throw Problem.forbidden("The platform's API keys are managed with a platform API key; a person's session cannot create or revoke one.")
        }
    }
}
