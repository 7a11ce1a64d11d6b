/// How long each class of record is kept: the platform's published promises, defined here once.
///
/// ``RetentionPolicy`` turns these into the rules the retention job carries out (it passes each
/// period to its SQL function as an argument), GET /v1/retention-policy shows and
/// docs/retention-policy.md prints; `RetentionPeriodTests` fails if any retention function's SQL
/// writes a period of its own.
public enum RetentionPeriod {
    /// Traffic data (CDRs): the statutory logging duty, counted from the communication.
    public static let trafficDataMonths = 12
    /// Network telemetry about numbers and SIM cards: fault finding needs weeks, not a year.
    public static let telemetryMonths = 3
    /// The ingest batches' Idempotency-Key ledger: long enough for any retry of a batch.
    public static let ingestLedgerDays = 90
    /// Bookkeeping records (usage totals, statements): years after the end of the financial year.
    public static let bookkeepingYears = 5
    /// The audit trail (ids and field names only) and the retention runs' own record.
    public static let auditTrailYears = 5
    /// Processor-scope data of a terminated customer: days after the termination.
    public static let terminatedCustomerDays = 30
    /// Call recordings: days from the recording.
    public static let callRecordingDays = 90
    /// Voicemails: the most days a reseller may keep them (and what applies until it chooses fewer).
    public static let voicemailMaximumDays = 365
    /// A manager's session: days after it ended (expired or signed out).
    public static let endedSessionDays = 7
    /// Failed-login counters: hours after the last failure, once no block is running.
    public static let loginFailureHours = 24
    /// A login e-mail's known client addresses: days after the last successful sign-in from one.
    public static let knownLoginSourceDays = 90
    /// A webhook delivery's log entry, from its last attempt.
    public static let webhookDeliveryDays = 30
    /// A resolved fraud alert, from the end of its window: as long as the traffic data it summarises.
    public static let fraudAlertMonths = 12
    /// A closed data-subject request's case file and receipts: the record of how it was answered.
    public static let dataSubjectRequestYears = 5
}
