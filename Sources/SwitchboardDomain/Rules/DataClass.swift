/// A class of stored data with a retention rule of its own. Every table declares the classes it
/// holds (``RetentionPolicy/tableClasses``); a catalog test fails on a table without one.
public enum DataClass: String, Sendable, CaseIterable, Hashable {
    /// Call detail records under the logging duty (the platform's).
    case trafficData = "traffic-data"
    /// Network events about numbers and SIM cards (the platform's).
    case telemetry
    /// The ingest batches' Idempotency-Key ledger (the platform's).
    case ingestLedger = "ingest-ledger"
    /// Usage totals for rebilling, and settlement statements with their credit and debit notes.
    case bookkeeping
    /// Who did what, as ids and field names; and the retention runs' own record.
    case auditTrail = "audit-trail"
    /// The customers' staff directory: people, their numbers, SIM cards, fax-to-mail, preferences.
    case staffDirectory = "staff-directory"
    /// The customers' telecom managers and their sign-in.
    case managerAccounts = "manager-accounts"
    case callRecordings = "call-recordings"
    case voicemails
    /// Greetings and profile pictures: kept as long as the person's record.
    case greetingsAndPictures = "greetings-and-pictures"
    /// Managers' portal and API sessions.
    case sessions
    /// Failed-login counters and known sign-in sources, kept to throttle guessing.
    case loginAttempts = "login-attempts"
    /// The reseller's own records as controller: its customers (companies), agreement, keys, brand, stock.
    case resellerAccount = "reseller-account"
    /// The platform's own configuration: published agreement versions, platform keys.
    case platformConfiguration = "platform-configuration"
    /// Data-subject request cases, the traffic-data parts forwarded to the platform, and signed receipts.
    case dataSubjectRequests = "data-subject-requests"
    /// The webhook delivery log (event bodies hold ids and dates only).
    case webhookDeliveries = "webhook-deliveries"
    /// Fraud alerts the rules raised over traffic data (served number, window, counts, cost).
    case fraudSignals = "fraud-signals"
    /// Authorities' disclosure requests and the record of their review and export (the platform's).
    case disclosures
}
