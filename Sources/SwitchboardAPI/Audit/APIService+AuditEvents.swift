internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// A tenant's own audit trail (issue 16): a reseller its tenant's entries, a manager its company's,
/// the platform its own acts. The policies decide what is visible; ids and field names only.
extension APIService {
    package func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let action = try RequestValues.matching(input.query.action, field: "action", description: "an action name such as employee.update") { text in
            (1...80).contains(text.utf8.count) && text.utf8.allSatisfy { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        }
        let target = try input.query.targetId.map { try RequestValues.id($0, field: "targetId") }
        let cursor = try input.query.cursor.map(Self.auditCursor)
        var filter = AuditEventRepository.Filter(from: input.query.from, to: input.query.to, action: action, targetID: target)
        let page = try await transaction { principal, connection in
            // Lawful disclosure is confidential even within the platform: only its legal reviewers read its steps.
            if principal.role == .platform, !principal.duties.contains(.legal) { filter.hiddenActionPrefix = "disclosure." }
            return try await AuditEventRepository(connection, logger: logger).list(filter, after: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(
            items: page.items.map { event in
                .init(occurredAt: event.occurredAt, principalId: event.principalID.apiString, principalKind: event.principalKind, role: event.role,
                      resellerId: event.resellerID?.apiString, customerId: event.customerID?.apiString, action: event.action,
                      targetId: event.targetID?.apiString, fields: event.fields)
            },
            nextCursor: page.nextCursor.map { "\($0.seq)@\($0.chain)" }
        ))))
    }

    /// `<seq>@<chain>`, as `nextCursor` writes it (a chain is a reseller id or `platform`).
    static func auditCursor(_ text: String) throws -> AuditEventCursor {
        let parts = text.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, parts[0].utf8.count <= 19, let seq = Int64(parts[0]), seq >= 0,
              parts[1] == "platform" || (parts[1].utf8.count == 36 && UUID(uuidString: String(parts[1])) != nil) else {
            throw Problem.badRequest("cursor must be a nextCursor value.", errors: [.init(field: "cursor", rule: "format", message: "must be a nextCursor value")])
        }
        return AuditEventCursor(chain: parts[1] == "platform" ? "platform" : String(parts[1]).lowercased(), seq: seq)
    }
}
