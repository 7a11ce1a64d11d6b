/// The platform's retention rules, declared once: the retention job carries them out with these
/// periods, GET /v1/retention-policy shows each caller its own, and docs/retention-policy.md is
/// this declaration printed (a test keeps it so).
public enum RetentionPolicy {
    /// Rule names, as the job's reports and GET /v1/retention-runs name them.
    public enum RuleName {
        public static let trafficData = "traffic-data"
        public static let telemetry = "telemetry"
        public static let ingestLedger = "ingest-ledger"
        public static let bookkeeping = "bookkeeping"
        public static let auditTrail = "audit-trail"
        public static let terminatedCustomers = "terminated-customers"
        public static let callRecordings = "call-recordings"
        public static let voicemails = "voicemails"
        public static let greetingsAndPictures = "greetings-and-pictures"
        public static let staffDirectory = "staff-directory"
        public static let sessions = "sessions"
        public static let loginAttempts = "login-attempts"
        public static let resellerAccount = "reseller-account"
        public static let platformConfiguration = "platform-configuration"
        public static let dataSubjectRequests = "data-subject-requests"
        public static let webhookDeliveries = "webhook-deliveries"
        public static let fraudSignals = "fraud-signals"
        public static let disclosures = "disclosures"
    }

    /// The voicemail rule with `days` (a reseller's own setting; nil is the platform's maximum).
    public static func voicemails(days: Int?) -> RetentionRule {
        RetentionRule(
            name: RuleName.voicemails, dataClasses: [.voicemails], audiences: [.reseller],
            keptFor: .days(min(days ?? RetentionPeriod.voicemailMaximumDays, RetentionPeriod.voicemailMaximumDays)),
            countedFrom: "the message's arrival (earlier when the user deletes it or the person is erased)",
            then: "deleted", automatic: true
        )
    }

    /// Every rule, with the platform's maximum for voicemails.
    public static let rules: [RetentionRule] = [
        RetentionRule(
            name: RuleName.trafficData, dataClasses: [.trafficData], audiences: [.platform],
            keptFor: .months(RetentionPeriod.trafficDataMonths), countedFrom: "the communication (a calendar month is kept until its last day is that old)",
            then: "deleted so it cannot be restored: the month's partition is dropped", automatic: true
        ),
        RetentionRule(
            name: RuleName.telemetry, dataClasses: [.telemetry], audiences: [.platform],
            keptFor: .months(RetentionPeriod.telemetryMonths), countedFrom: "the event (a calendar month is kept until its last day is that old)",
            then: "the month's partition is dropped", automatic: true
        ),
        RetentionRule(
            name: RuleName.ingestLedger, dataClasses: [.ingestLedger], audiences: [.platform],
            keptFor: .days(RetentionPeriod.ingestLedgerDays), countedFrom: "the batch's receipt",
            then: "deleted (a batch re-sent later is no longer recognised as a repeat)", automatic: true
        ),
        RetentionRule(
            name: RuleName.bookkeeping, dataClasses: [.bookkeeping], audiences: [.platform, .reseller],
            keptFor: .years(RetentionPeriod.bookkeepingYears), countedFrom: "the end of the financial year (the calendar year) the record belongs to",
            then: "deleted (usage totals; settlement statements with their lines and their credit and debit notes, which carry their statement's month)", automatic: true
        ),
        RetentionRule(
            name: RuleName.auditTrail, dataClasses: [.auditTrail], audiences: [.platform, .reseller],
            keptFor: .years(RetentionPeriod.auditTrailYears), countedFrom: "the event",
            then: "kept as the record of what was done; the first entries reach this age in 2031, and their deletion is not automated yet",
            automatic: false
        ),
        RetentionRule(
            name: RuleName.terminatedCustomers, dataClasses: [.staffDirectory, .managerAccounts, .sessions, .callRecordings, .voicemails, .greetingsAndPictures],
            audiences: [.reseller],
            keptFor: .days(RetentionPeriod.terminatedCustomerDays), countedFrom: "the customer's termination (the reseller may reactivate the customer until then)",
            then: "the people's content keys are destroyed, then their records, content, preferences, the managers and their sessions are deleted and numbers and SIM cards return to the reseller's stock; the company row keeps only what bookkeeping needs, and traffic data stays under its own rule",
            automatic: true
        ),
        RetentionRule(
            name: RuleName.callRecordings, dataClasses: [.callRecordings], audiences: [.reseller],
            keptFor: .days(RetentionPeriod.callRecordingDays), countedFrom: "the recording", then: "deleted", automatic: true
        ),
        voicemails(days: nil),
        RetentionRule(
            name: RuleName.greetingsAndPictures, dataClasses: [.greetingsAndPictures], audiences: [.reseller],
            keptFor: nil, countedFrom: "until replaced or deleted, the person is erased, or the customer's data is purged",
            then: "deleted", automatic: false
        ),
        RetentionRule(
            name: RuleName.staffDirectory, dataClasses: [.staffDirectory, .managerAccounts], audiences: [.reseller],
            keptFor: nil, countedFrom: "while the customer's service runs, until the person is erased on request or the customer's data is purged",
            then: "erasure destroys the person's content key first, then anonymises the record (traffic data stays, unlinked, under its own rule)",
            automatic: false
        ),
        RetentionRule(
            name: RuleName.sessions, dataClasses: [.sessions], audiences: [.reseller],
            keptFor: .days(RetentionPeriod.endedSessionDays), countedFrom: "the session's end (expiry or sign-out)", then: "deleted", automatic: true
        ),
        RetentionRule(
            name: RuleName.loginAttempts, dataClasses: [.loginAttempts], audiences: [.platform],
            keptFor: .hours(RetentionPeriod.loginFailureHours),
            countedFrom: "the last failed attempt, once no block runs (known sign-in sources: \(RetentionPeriod.knownLoginSourceDays) days from the last successful sign-in)",
            then: "deleted", automatic: true
        ),
        RetentionRule(
            name: RuleName.resellerAccount, dataClasses: [.resellerAccount], audiences: [.reseller],
            keptFor: nil, countedFrom: "while the reseller's agreement runs", then: "deleted at the agreement's end, on the platform's offboarding", automatic: false
        ),
        RetentionRule(
            name: RuleName.dataSubjectRequests, dataClasses: [.dataSubjectRequests], audiences: [.reseller, .platform],
            keptFor: .years(RetentionPeriod.dataSubjectRequestYears), countedFrom: "the case's close",
            then: "kept as the record of how each request was answered (ids, dates and field names; the person is known by id only); deletion is not automated yet",
            automatic: false
        ),
        RetentionRule(
            name: RuleName.webhookDeliveries, dataClasses: [.webhookDeliveries], audiences: [.reseller],
            keptFor: .days(RetentionPeriod.webhookDeliveryDays), countedFrom: "the delivery's last attempt (pending deliveries stay until delivered or given up)",
            then: "deleted by the delivery job", automatic: true
        ),
        RetentionRule(
            name: RuleName.fraudSignals, dataClasses: [.fraudSignals], audiences: [.platform, .reseller],
            keptFor: .months(RetentionPeriod.fraudAlertMonths), countedFrom: "the end of a resolved alert's window (an unresolved alert stays until resolved)",
            then: "deleted", automatic: true
        ),
        RetentionRule(
            name: RuleName.disclosures, dataClasses: [.disclosures], audiences: [.platform],
            keptFor: .years(RetentionPeriod.bookkeepingYears), countedFrom: "the request's review",
            then: "kept as the platform's record of what it disclosed, to whom and on whose approval; the exported records themselves are never stored, and deleting old requests is not automated yet",
            automatic: false
        ),
        RetentionRule(
            name: RuleName.platformConfiguration, dataClasses: [.platformConfiguration], audiences: [.platform],
            keptFor: nil, countedFrom: "while in use", then: "deleted", automatic: false
        ),
    ]

    /// The rules one audience sees, the voicemail rule with `voicemailDays`.
    public static func rules(for audience: RetentionRule.Audience, voicemailDays: Int? = nil) -> [RetentionRule] {
        rules.filter { $0.audiences.contains(audience) }.map { $0.name == RuleName.voicemails ? voicemails(days: voicemailDays) : $0 }
    }

    /// The classes of data each table holds. A table missing here fails `RetentionCatalogTests`.
    public static let tableClasses: [String: [DataClass]] = [
        "platform.cdrs": [.trafficData],
        "platform.telemetry_events": [.telemetry],
        "platform.ingest_batches": [.ingestLedger],
        "platform.retention_runs": [.auditTrail],
        "platform.retention_rule_reports": [.auditTrail],
        "platform.vacuum_requests": [.auditTrail],
        "sb.usage_monthly": [.bookkeeping],
        "sb.statements": [.bookkeeping],
        "sb.statement_lines": [.bookkeeping],
        "sb.price_list": [.platformConfiguration],
        "sb.audit_events": [.auditTrail],
        "sb.audit_chain_heads": [.auditTrail],
        "sb.retention_run_tenants": [.auditTrail],
        "sb.employees": [.staffDirectory],
        "sb.employee_preference_history": [.staffDirectory],
        "sb.number_assignments": [.staffDirectory, .trafficData],
        "sb.sim_cards": [.staffDirectory, .trafficData],
        "sb.fax_to_mail": [.staffDirectory],
        "sb.scheduled_anonymisations": [.staffDirectory],
        "sb.employee_content": [.callRecordings, .voicemails, .greetingsAndPictures],
        "sb.managers": [.managerAccounts],
        "sb.sessions": [.sessions],
        "sb.login_throttle": [.loginAttempts],
        "sb.login_known_sources": [.loginAttempts],
        "sb.resellers": [.resellerAccount],
        "sb.customers": [.resellerAccount, .bookkeeping],
        "sb.dpa_acceptances": [.resellerAccount],
        "sb.reseller_api_keys": [.resellerAccount],
        "sb.telephony_api_keys": [.resellerAccount],
        "sb.brands": [.resellerAccount],
        "sb.brand_hostnames": [.resellerAccount],
        "sb.number_blocks": [.resellerAccount],
        "sb.sim_batches": [.resellerAccount],
        "sb.stock_numbers": [.resellerAccount],
        "sb.stock_sims": [.resellerAccount],
        // Which reseller holds a value platform-wide: kept exactly as long as the stock row it registers.
        "sb.number_registry": [.resellerAccount],
        "sb.sim_registry": [.resellerAccount],
        "sb.hostname_registry": [.resellerAccount],
        "sb.dpa_versions": [.platformConfiguration],
        "sb.platform_api_keys": [.platformConfiguration],
        "public.schema_migrations": [.platformConfiguration],
        "sb.data_subject_requests": [.dataSubjectRequests],
        "sb.traffic_data_requests": [.dataSubjectRequests],
        "sb.receipts": [.dataSubjectRequests],
        "sb.receipt_signing_keys": [.platformConfiguration],
        "sb.sub_processors": [.platformConfiguration],
        "sb.webhook_subscriptions": [.resellerAccount],
        "sb.webhook_deliveries": [.webhookDeliveries],
        "sb.platform_staff": [.platformConfiguration],
        "platform.destination_prefixes": [.platformConfiguration],
        "platform.fraud_rules": [.platformConfiguration],
        "platform.fraud_rule_overrides": [.platformConfiguration],
        "sb.fraud_alerts": [.fraudSignals],
        "platform.disclosure_requests": [.disclosures],
        "sb.platform_sessions": [.sessions],
    ]

    /// The policy as Markdown: docs/retention-policy.md, and `switchboard retention policy`.
    public static var markdown: String {
        var lines = [
            "# Retention policy",
            "",
            "Generated from `RetentionPolicy` (`switchboard retention policy` prints it; a test keeps this file equal to it).",
            "The retention job carries out every rule marked automatic, at every run, and records what each rule did;",
            "`GET /v1/retention-policy` shows each caller the rules for its own data and `GET /v1/retention-runs` the runs.",
            "",
            "| rule | data | for | kept | counted from | then | automatic |",
            "|---|---|---|---|---|---|---|",
        ]
        for rule in rules {
            let audience = rule.audiences.map(\.rawValue).sorted().joined(separator: ", ")
            lines.append("| `\(rule.name)` | \(rule.dataClasses.map(\.rawValue).joined(separator: ", ")) | \(audience) | \(rule.keptFor?.text ?? "—") | \(rule.countedFrom) | \(rule.then) | \(rule.automatic ? "yes" : "no") |")
        }
        lines += [
            "",
            "Voicemails: each reseller may choose fewer days (`PUT /v1/retention-policy/voicemails`), never more than \(RetentionPeriod.voicemailMaximumDays).",
            "",
            "## Tables and their classes",
            "",
            "| table | classes |",
            "|---|---|",
        ]
        for table in tableClasses.keys.sorted() {
            lines.append("| `\(table)` | \(tableClasses[table]!.map(\.rawValue).joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
