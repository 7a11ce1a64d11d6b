/// What the platform does with processor-scope data on a reseller's behalf, declared once: the
/// record of processing (GDPR Art. 30(2), `GET /v1/processing-records`) is generated from this,
/// the retention rules and the sub-processor register.
public struct ProcessingActivity: Sendable, Equatable {
    public let name: String
    public let purpose: String
    public let dataClasses: [DataClass]
    public let dataSubjects: String
    /// Names of the ``RetentionPolicy`` rules that bound it.
    public let retentionRules: [String]

    public static let onBehalfOfResellers: [ProcessingActivity] = [
        ProcessingActivity(
            name: "Staff directory and telephony service",
            purpose: "Providing telephony to the customer's employees: extensions, numbers, SIM cards, fax-to-mail and directory listing, as the reseller instructs",
            dataClasses: [.staffDirectory], dataSubjects: "employees of the reseller's business customers",
            retentionRules: [RetentionPolicy.RuleName.staffDirectory, RetentionPolicy.RuleName.terminatedCustomers]
        ),
        ProcessingActivity(
            name: "Voicemail, greetings and pictures",
            purpose: "Storing messages, greetings and profile pictures for the employees' telephony, sealed under a key per person",
            dataClasses: [.voicemails, .greetingsAndPictures], dataSubjects: "employees, and callers who leave messages",
            retentionRules: [RetentionPolicy.RuleName.voicemails, RetentionPolicy.RuleName.greetingsAndPictures, RetentionPolicy.RuleName.terminatedCustomers]
        ),
        ProcessingActivity(
            name: "Call recording",
            purpose: "Storing recordings of calls where the customer records them, sealed under a key per person",
            dataClasses: [.callRecordings], dataSubjects: "employees and the parties to their recorded calls",
            retentionRules: [RetentionPolicy.RuleName.callRecordings, RetentionPolicy.RuleName.terminatedCustomers]
        ),
        ProcessingActivity(
            name: "Managers' portal",
            purpose: "Accounts and sessions of the customers' telecom managers who maintain their staff in the reseller's branded portal",
            dataClasses: [.managerAccounts, .sessions], dataSubjects: "the customers' telecom managers",
            retentionRules: [RetentionPolicy.RuleName.sessions, RetentionPolicy.RuleName.terminatedCustomers]
        ),
        ProcessingActivity(
            name: "Data-subject requests",
            purpose: "Tracking the employees' requests (access, rectification, erasure, restriction, objection, portability) to their answer, with signed receipts",
            dataClasses: [.dataSubjectRequests], dataSubjects: "employees who make a request",
            retentionRules: [RetentionPolicy.RuleName.dataSubjectRequests]
        ),
        ProcessingActivity(
            name: "Accountability",
            purpose: "An append-only, hash-chained audit trail of every change (ids and field names, never values)",
            dataClasses: [.auditTrail], dataSubjects: "employees, managers and the reseller's staff, by id",
            retentionRules: [RetentionPolicy.RuleName.auditTrail]
        ),
    ]

    /// The technical and organisational measures, as the system implements them.
    public static let securityMeasures: [String] = [
        "Isolation enforced by PostgreSQL: a database role per scope and row-level security on every tenant table, forced for the table owner",
        "Voicemails, greetings, recordings and pictures encrypted with AES-256-GCM under a key per person; erasure destroys the key (crypto-shredding), also for backups",
        "Person keys kept in a separate key store, wrapped by a key-encryption key that is not in the database",
        "Append-only audit trail, hash-chained per tenant and verifiable with `switchboard audit verify`",
        "Credentials stored only as hashes; sign-in throttled per account and source",
        "Retention rules carried out automatically, with a record of each run (`GET /v1/retention-runs`)",
        "Erasure and answered requests confirmed by receipts signed with Ed25519 (`GET /v1/receipts/public-key`)",
    ]
}
