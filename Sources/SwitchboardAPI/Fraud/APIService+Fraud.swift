internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// Fraud detection (DESIGN §11): the platform's operators keep the prefix table and the rules,
/// replay a rule over past CDRs, and acknowledge and resolve alerts; the ingest raises them; each
/// reseller reads the alerts on its own numbers (never the called numbers, IPs or cells).
extension APIService {
    package func listDestinationPrefixes(_ input: Operations.ListDestinationPrefixes.Input) async throws -> Operations.ListDestinationPrefixes.Output {
        let prefixes = try await transaction { _, connection in try await FraudRuleRepository(connection, logger: logger).prefixes() }
        return .ok(.init(body: .json(.init(items: prefixes.map(Components.Schemas.DestinationPrefix.init)))))
    }

    package func putDestinationPrefix(_ input: Operations.PutDestinationPrefix.Input) async throws -> Operations.PutDestinationPrefix.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let prefix = try Self.prefix(input.path.prefixDigits)
        var validator = Validator()
        let description = (body.description ?? "").isEmpty ? "" : validator.text(body.description, field: "description") ?? ""
        try validator.finish()
        let prefixClass = DestinationClassifier.PrefixClass(rawValue: body._class.rawValue)!
        try await transaction { principal, connection in
            _ = try await FraudRuleRepository(connection, logger: logger).putPrefix(prefix, class: prefixClass, description: description)
            try await AuditLog.append(AuditEntry(action: "destination-prefix.put", targetID: nil, fields: ["prefix", "class", "description"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
        }
        return .ok(.init(body: .json(.init(prefix: prefix, _class: body._class, description: description))))
    }

    package func deleteDestinationPrefix(_ input: Operations.DeleteDestinationPrefix.Input) async throws -> Operations.DeleteDestinationPrefix.Output {
        let prefix = try Self.prefix(input.path.prefixDigits)
        try await transaction { principal, connection in
            guard try await FraudRuleRepository(connection, logger: logger).deletePrefix(prefix) else { throw Problem.notFound("No such prefix.") }
            try await AuditLog.append(AuditEntry(action: "destination-prefix.delete", targetID: nil, fields: ["prefix"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
        }
        return .noContent(.init())
    }

    package func listFraudRules(_ input: Operations.ListFraudRules.Input) async throws -> Operations.ListFraudRules.Output {
        let rules = try await transaction { _, connection in try await FraudRuleRepository(connection, logger: logger).rules() }
        return .ok(.init(body: .json(.init(items: rules.map(Components.Schemas.FraudRule.init)))))
    }

    package func updateFraudRule(_ input: Operations.UpdateFraudRule.Input) async throws -> Operations.UpdateFraudRule.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let rule = FraudRule(rawValue: input.path.rule.rawValue)!
        let setting = try Self.setting(body, for: rule, field: "")
        let record = try await transaction { principal, connection in
            let rules = FraudRuleRepository(connection, logger: logger)
            try await rules.setDefault(rule, to: setting)
            try await AuditLog.append(AuditEntry(action: "fraud-rule.update", targetID: nil, fields: [rule.rawValue], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return try await rules.rule(rule)!
        }
        return .ok(.init(body: .json(.init(record))))
    }

    package func setFraudRuleOverride(_ input: Operations.SetFraudRuleOverride.Input) async throws -> Operations.SetFraudRuleOverride.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let rule = FraudRule(rawValue: input.path.rule.rawValue)!
        let reseller = try RequestValues.id(input.path.resellerId, field: "resellerId")
        let setting = try Self.setting(body, for: rule, field: "")
        let record = try await transaction { principal, connection in
            guard try await ResellerRepository(connection, logger: logger).get(reseller) != nil else { throw Problem.notFound("No such reseller.") }
            let rules = FraudRuleRepository(connection, logger: logger)
            try await rules.setOverride(rule, reseller: reseller, to: setting)
            // The reseller's own trail does not show the platform's thresholds for it (a platform entry without tenant).
            try await AuditLog.append(AuditEntry(action: "fraud-rule.override", targetID: reseller, fields: [rule.rawValue], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return try await rules.rule(rule)!
        }
        return .ok(.init(body: .json(.init(record))))
    }

    package func deleteFraudRuleOverride(_ input: Operations.DeleteFraudRuleOverride.Input) async throws -> Operations.DeleteFraudRuleOverride.Output {
        let rule = FraudRule(rawValue: input.path.rule.rawValue)!
        let reseller = try RequestValues.id(input.path.resellerId, field: "resellerId")
        try await transaction { principal, connection in
            guard try await FraudRuleRepository(connection, logger: logger).deleteOverride(rule, reseller: reseller) else {
                throw Problem.notFound("This reseller has no override of the rule.")
            }
            try await AuditLog.append(AuditEntry(action: "fraud-rule.override-delete", targetID: reseller, fields: [rule.rawValue], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
        }
        return .noContent(.init())
    }

    package func dryRunFraudRule(_ input: Operations.DryRunFraudRule.Input) async throws -> Operations.DryRunFraudRule.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let rule = FraudRule(rawValue: input.path.rule.rawValue)!
        let reseller = try body.resellerId.map { try RequestValues.id($0, field: "resellerId") }
        guard body.from < body.to, body.to.timeIntervalSince(body.from) <= Self.maximumDryRunSeconds else {
            throw Problem.validation([.init(field: "to", rule: "range", message: "must be after from, and at most 31 days later")])
        }
        let setting = try body.setting.map { try Self.setting($0, for: rule, field: "setting.") }
        let outcome = try await transaction(kind: .long) { principal, connection in
            if let reseller, try await ResellerRepository(connection, logger: logger).get(reseller) == nil { throw Problem.notFound("No such reseller.") }
            let outcome: FraudReplay.Outcome
            do {
                outcome = try await FraudReplay(connection, logger: logger).replay(rule, from: body.from, to: body.to, reseller: reseller, trying: setting)
            } catch is FraudReplay.TooManyCalls {
                throw Problem.validation([.init(field: "to", rule: "range", message: "the period holds more than \(FraudReplay.maximumCalls) calls to judge; narrow it")])
            }
            // A replay reads traffic patterns per number: recorded like any read of CDRs.
            try await AuditLog.append(AuditEntry(action: "fraud-rule.dry-run", targetID: reseller, fields: [rule.rawValue, "from", "to"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return outcome
        }
        return .ok(.init(body: .json(.init(
            rule: .init(rawValue: rule.rawValue)!, judgedCalls: outcome.judgedCalls,
            hits: outcome.hits.map { hit in
                .init(servedNumber: hit.servedNumber, resellerId: hit.resellerID.apiString, customerId: hit.customerID?.apiString,
                      level: .init(rawValue: hit.level.rawValue)!, firstHitAt: hit.firstHitAt, windowStart: hit.windowStart, windowEnd: hit.windowEnd,
                      measure: hit.measure, calls: hit.calls, cost: hit.cost)
            }
        ))))
    }

    package func listPlatformFraudAlerts(_ input: Operations.ListPlatformFraudAlerts.Input) async throws -> Operations.ListPlatformFraudAlerts.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let cursor = try input.query.cursor.map(Self.caseCursor)
        let reseller = try input.query.resellerId.map { try RequestValues.id($0, field: "resellerId") }
        let filter = FraudAlertRepository.Filter(state: input.query.state.flatMap { .init(rawValue: $0.rawValue) }, resellerID: reseller)
        let page = try await transaction { _, connection in
            try await FraudAlertRepository(connection, logger: logger).list(filter, platformView: true, before: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.FraudAlert.init), nextCursor: page.nextCursor.map(Self.timeCursorText)))))
    }

    package func listFraudAlerts(_ input: Operations.ListFraudAlerts.Input) async throws -> Operations.ListFraudAlerts.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let cursor = try input.query.cursor.map(Self.caseCursor)
        let filter = FraudAlertRepository.Filter(state: input.query.state.flatMap { .init(rawValue: $0.rawValue) })
        let page = try await transaction { _, connection in
            try await FraudAlertRepository(connection, logger: logger).list(filter, platformView: false, before: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.FraudAlert.init), nextCursor: page.nextCursor.map(Self.timeCursorText)))))
    }

    package func acknowledgeFraudAlert(_ input: Operations.AcknowledgeFraudAlert.Input) async throws -> Operations.AcknowledgeFraudAlert.Output {
        let id = try RequestValues.id(input.path.alertId, field: "alertId")
        let alert = try await transaction { principal, connection in
            let alerts = FraudAlertRepository(connection, logger: logger)
            guard let alert = try await alerts.acknowledge(id, by: principal.id) else {
                guard try await alerts.get(id, platformView: true) != nil else { throw Self.noSuchAlert }
                throw Problem.conflict("Only an open alert can be acknowledged.", type: "not-open")
            }
            try await AuditLog.append(AuditEntry(action: "fraud-alert.acknowledge", targetID: id, resellerID: nil), by: principal, on: connection, logger: logger)
            return alert
        }
        return .ok(.init(body: .json(.init(alert))))
    }

    package func resolveFraudAlert(_ input: Operations.ResolveFraudAlert.Input) async throws -> Operations.ResolveFraudAlert.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.alertId, field: "alertId")
        var validator = Validator()
        let resolution = validator.text(body.resolution, field: "resolution", maxLength: 1000)
        try validator.finish()
        let alert = try await transaction { principal, connection in
            let alerts = FraudAlertRepository(connection, logger: logger)
            guard let alert = try await alerts.resolve(id, by: principal.id, resolution: resolution!) else {
                guard try await alerts.get(id, platformView: true) != nil else { throw Self.noSuchAlert }
                throw Problem.conflict("The alert is resolved already.", type: "already-resolved")
            }
            try await AuditLog.append(AuditEntry(action: "fraud-alert.resolve", targetID: id, fields: ["resolution"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return alert
        }
        return .ok(.init(body: .json(.init(alert))))
    }

    static let noSuchAlert = Problem.notFound("No such fraud alert.")
    static let maximumDryRunSeconds: TimeInterval = 31 * 86_400

    static func prefix(_ digits: String) throws -> String {
        let prefix = "+" + digits
        guard DestinationClassifier.isValidPrefix(prefix) else {
            throw Problem.badRequest("prefixDigits must be 1 to 14 digits, the first 1–9.", errors: [.init(field: "prefixDigits", rule: "pattern", message: "must be 1 to 14 digits, the first 1–9")])
        }
        return prefix
    }

    /// Checks a setting against the rule it is for (each rule has its own optional thresholds).
    static func setting(_ body: Components.Schemas.FraudRuleSetting, for rule: FraudRule, field prefix: String) throws -> FraudRuleSetting {
        var violations: [FieldViolation] = []
        func cost(_ text: String?, _ name: String) -> Decimal? {
            guard let text else { return nil }
            guard text.utf8.count <= 15, text.wholeMatch(of: /[0-9]{1,10}(\.[0-9]{1,4})?/) != nil, let value = Decimal(string: text), value > 0 else {
                violations.append(.init(field: prefix + name, rule: "pattern", message: "must be a positive decimal with at most 4 decimals"))
                return nil
            }
            return value
        }
        let warningCost = cost(body.warningCost, "warningCost")
        let criticalCost = cost(body.criticalCost, "criticalCost")
        if !(1...1440).contains(body.windowMinutes) { violations.append(.init(field: prefix + "windowMinutes", rule: "range", message: "must be 1 to 1440")) }
        if !(1...1_000_000).contains(body.warningAt) { violations.append(.init(field: prefix + "warningAt", rule: "range", message: "must be 1 to 1000000")) }
        if body.criticalAt < body.warningAt || body.criticalAt > 1_000_000 {
            violations.append(.init(field: prefix + "criticalAt", rule: "range", message: "must be at least warningAt and at most 1000000"))
        }
        if rule == .highCostBurst {
            if criticalCost != nil, warningCost == nil || criticalCost! < warningCost! {
                violations.append(.init(field: prefix + "criticalCost", rule: "range", message: "needs warningCost, and must be at least warningCost"))
            }
        } else if body.warningCost != nil || body.criticalCost != nil {
            violations.append(.init(field: prefix + "warningCost", rule: "not-applicable", message: "only the high-cost-burst rule has cost thresholds"))
        }
        if rule == .shortCallFlood {
            if body.shortCallSeconds.map({ !(0...60).contains($0) }) ?? true {
                violations.append(.init(field: prefix + "shortCallSeconds", rule: "required", message: "the short-call-flood rule needs 0 to 60 seconds"))
            }
        } else if body.shortCallSeconds != nil {
            violations.append(.init(field: prefix + "shortCallSeconds", rule: "not-applicable", message: "only the short-call-flood rule has it"))
        }
        guard violations.isEmpty else { throw Problem.validation(violations) }
        return FraudRuleSetting(enabled: body.enabled, windowMinutes: body.windowMinutes, warningAt: body.warningAt, criticalAt: body.criticalAt,
                                warningCost: warningCost, criticalCost: criticalCost, shortCallSeconds: body.shortCallSeconds)
    }
}

extension Components.Schemas.DestinationPrefix {
    init(_ prefix: FraudRuleRepository.Prefix) {
        self.init(prefix: prefix.prefix, _class: .init(rawValue: prefix.prefixClass.rawValue)!, description: prefix.description)
    }
}

extension Components.Schemas.FraudRuleSetting {
    init(_ setting: FraudRuleSetting) {
        self.init(enabled: setting.enabled, windowMinutes: setting.windowMinutes, warningAt: setting.warningAt, criticalAt: setting.criticalAt,
                  warningCost: setting.warningCost.map { "\($0)" }, criticalCost: setting.criticalCost.map { "\($0)" }, shortCallSeconds: setting.shortCallSeconds)
    }
}

extension Components.Schemas.FraudRule {
    init(_ record: FraudRuleRecord) {
        self.init(rule: .init(rawValue: record.rule.rawValue)!, measure: record.rule.measure, setting: .init(record.setting),
                  overrides: record.overrides.map { .init(resellerId: $0.resellerID.apiString, setting: .init($0.setting)) })
    }
}

extension Components.Schemas.FraudAlert {
    init(_ alert: FraudAlertRecord) {
        self.init(
            id: alert.id.apiString, resellerId: alert.resellerID.apiString, customerId: alert.customerID?.apiString,
            rule: .init(rawValue: alert.rule.rawValue)!, servedNumber: alert.servedNumber, level: .init(rawValue: alert.level.rawValue)!,
            state: .init(rawValue: alert.state.rawValue)!, windowStart: alert.windowStart, windowEnd: alert.windowEnd,
            measure: alert.measure, calls: alert.calls, cost: alert.cost, raisedAt: alert.raisedAt, escalatedAt: alert.escalatedAt,
            updatedAt: alert.updatedAt, acknowledgedAt: alert.acknowledgedAt, resolvedAt: alert.resolvedAt,
            acknowledgedBy: alert.acknowledgedBy?.apiString, resolvedBy: alert.resolvedBy?.apiString, resolution: alert.resolution
        )
    }
}
