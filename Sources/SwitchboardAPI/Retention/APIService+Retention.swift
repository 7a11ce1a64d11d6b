internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// The published retention rules and the retention job's record (issue 15): each caller sees its own.
extension APIService {
    package func getRetentionPolicy(_ input: Operations.GetRetentionPolicy.Input) async throws -> Operations.GetRetentionPolicy.Output {
        let policy = try await transaction { principal, connection in
            try await Self.policy(for: principal, on: RetentionRunRepository(connection, logger: logger))
        }
        return .ok(.init(body: .json(policy)))
    }

    package func setVoicemailRetention(_ input: Operations.SetVoicemailRetention.Input) async throws -> Operations.SetVoicemailRetention.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let maximum = RetentionPeriod.voicemailMaximumDays
        guard (1...maximum).contains(body.retentionDays) else {
            throw Problem.validation([.init(field: "retentionDays", rule: "range", message: "must be between 1 and \(maximum) (the platform's maximum)")])
        }
        let policy = try await transaction { principal, connection in
            guard let resellerID = principal.resellerID else { throw Problem.forbidden("Only a reseller sets its voicemail period.") }
            let runs = RetentionRunRepository(connection, logger: logger)
            try await runs.setVoicemailRetentionDays(body.retentionDays, of: resellerID)
            try await AuditLog.append(
                AuditEntry(action: "retention.voicemails", targetID: resellerID, fields: ["voicemailRetentionDays"], resellerID: resellerID),
                by: principal, on: connection, logger: logger
            )
            return try await Self.policy(for: principal, on: runs)
        }
        return .ok(.init(body: .json(policy)))
    }

    package func listRetentionRuns(_ input: Operations.ListRetentionRuns.Input) async throws -> Operations.ListRetentionRuns.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let before: Int64? = try input.query.cursor.map { text in
            guard text.utf8.count <= 19, let id = Int64(text), id > 0 else {
                throw Problem.badRequest("cursor must be a run id from nextCursor.", errors: [.init(field: "cursor", rule: "format", message: "must be a run id")])
            }
            return id
        }
        let (page, platform) = try await transaction { principal, connection in
            let runs = RetentionRunRepository(connection, logger: logger)
            if principal.role == .platform { return (try await runs.runs(before: before, limit: limit), true) }
            guard let resellerID = principal.resellerID else { throw Problem.forbidden("Retention is shown to the platform and to resellers.") }
            return (try await runs.runs(ofReseller: resellerID, before: before, limit: limit), false)
        }
        return .ok(.init(body: .json(.init(
            items: page.items.map { Components.Schemas.RetentionRunSummary($0, platform: platform) },
            nextCursor: page.nextCursor.map(String.init)
        ))))
    }

    /// The caller's rules: the platform's own, or a reseller's with its voicemail setting.
    static func policy(for principal: Principal, on runs: RetentionRunRepository) async throws -> Components.Schemas.RetentionPolicy {
        if principal.role == .platform {
            return .init(audience: .platform, rules: RetentionPolicy.rules(for: .platform).map { .init($0) })
        }
        guard let resellerID = principal.resellerID else { throw Problem.forbidden("Retention is shown to the platform and to resellers.") }
        let days = try await runs.voicemailRetentionDays(of: resellerID)
        return .init(audience: .reseller, rules: RetentionPolicy.rules(for: .reseller, voicemailDays: days).map { .init($0) })
    }
}

extension Components.Schemas.RetentionRule {
    init(_ rule: RetentionRule) {
        self.init(
            name: rule.name,
            dataClasses: rule.dataClasses.map(\.rawValue),
            keptFor: rule.keptFor.map { .init(amount: $0.amount, unit: .init(rawValue: $0.unit)!) },
            countedFrom: rule.countedFrom,
            then: rule.then,
            automatic: rule.automatic,
            text: rule.sentence,
            maximumDays: rule.name == RetentionPolicy.RuleName.voicemails ? RetentionPeriod.voicemailMaximumDays : nil
        )
    }
}

extension Components.Schemas.RetentionRunSummary {
    /// The platform sees each rule's reseller ids, duration and notes; a reseller its own counts only.
    init(_ run: RetentionRunRepository.RunSummary, platform: Bool) {
        self.init(
            id: run.id,
            clock: run.clock,
            dryRun: run.dryRun,
            startedAt: run.startedAt,
            finishedAt: platform ? run.finishedAt : nil,
            trigger: platform ? run.trigger.flatMap { .init(rawValue: $0) } : nil,
            rules: run.rules.map { rule in
                .init(
                    rule: rule.rule,
                    affected: rule.affected,
                    resellerIds: platform ? rule.resellerIDs?.map(\.apiString).sorted() : nil,
                    elapsedMs: platform ? rule.elapsed.map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) } : nil,
                    note: platform ? rule.note : nil
                )
            }
        )
    }
}
