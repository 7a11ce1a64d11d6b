internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The platform's sub-processor register (DESIGN §3): every change is announced to every
/// reseller's webhooks in the transaction that records it.
extension APIService {
    package func listSubProcessors(_ input: Operations.ListSubProcessors.Input) async throws -> Operations.ListSubProcessors.Output {
        let entries = try await transaction { _, connection in try await SubProcessorRepository(connection, logger: logger).list() }
        return .ok(.init(body: .json(.init(items: entries.map(Components.Schemas.SubProcessor.init)))))
    }

    package func addSubProcessor(_ input: Operations.AddSubProcessor.Input) async throws -> Operations.AddSubProcessor.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        var validator = Validator()
        let name = validator.text(body.name, field: "name")
        let service = validator.text(body.service, field: "service", maxLength: 500)
        let location = validator.text(body.location, field: "location")
        let basis = validator.text(body.transferBasis, field: "transferBasis")
        _ = Self.day(body.engagedFrom, field: "engagedFrom", into: &validator)
        try validator.finish()
        let entry = try await transaction { principal, connection in
            let entry = try await SubProcessorRepository(connection, logger: logger).add(
                .init(name: name!, service: service!, location: location!, transferBasis: basis!, engagedFrom: body.engagedFrom), id: TimeOrderedID.make()
            )
            try await AuditLog.append(AuditEntry(action: "sub-processor.add", targetID: entry.id, fields: ["name", "service", "location", "transferBasis", "engagedFrom"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            try await WebhookOutbox.broadcast(.subProcessorChanged, Self.eventPayload(entry, change: "added"), on: connection, logger: logger)
            return entry
        }
        return .created(.init(body: .json(.init(entry))))
    }

    package func withdrawSubProcessor(_ input: Operations.WithdrawSubProcessor.Input) async throws -> Operations.WithdrawSubProcessor.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.subProcessorId, field: "subProcessorId")
        var validator = Validator()
        _ = Self.day(body.engagedUntil, field: "engagedUntil", into: &validator)
        try validator.finish()
        let entry = try await transaction { principal, connection in
            let register = SubProcessorRepository(connection, logger: logger)
            guard let existing = try await register.get(id) else { throw Problem.notFound("No such sub-processor.") }
            guard existing.engagedUntil == nil else {
                throw Problem.conflict("The end of this engagement was announced already.", type: "already-withdrawn")
            }
            guard body.engagedUntil >= existing.engagedFrom else {
                throw Problem.validation([.init(field: "engagedUntil", rule: "range", message: "must not be before engagedFrom (\(existing.engagedFrom))")])
            }
            guard let entry = try await register.withdraw(id, until: body.engagedUntil) else {
                throw Problem.conflict("The end of this engagement was announced already.", type: "already-withdrawn")
            }
            try await AuditLog.append(AuditEntry(action: "sub-processor.withdraw", targetID: id, fields: ["engagedUntil"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            try await WebhookOutbox.broadcast(.subProcessorChanged, Self.eventPayload(entry, change: "withdrawn"), on: connection, logger: logger)
            return entry
        }
        return .ok(.init(body: .json(.init(entry))))
    }

    static func eventPayload(_ entry: SubProcessorRecord, change: String) -> [String: CanonicalJSON] {
        var payload: [String: CanonicalJSON] = [
            "subProcessorId": .string(entry.id.apiString), "change": .string(change), "name": .string(entry.name),
            "location": .string(entry.location), "transferBasis": .string(entry.transferBasis), "engagedFrom": .string(entry.engagedFrom),
        ]
        if let until = entry.engagedUntil { payload["engagedUntil"] = .string(until) }
        return payload
    }
}

extension Components.Schemas.SubProcessor {
    init(_ entry: SubProcessorRecord) {
        self.init(
            id: entry.id.apiString, name: entry.name, service: entry.service, location: entry.location, transferBasis: entry.transferBasis,
            engagedFrom: entry.engagedFrom, announcedAt: entry.announcedAt, engagedUntil: entry.engagedUntil,
            withdrawalAnnouncedAt: entry.withdrawalAnnouncedAt
        )
    }
}
