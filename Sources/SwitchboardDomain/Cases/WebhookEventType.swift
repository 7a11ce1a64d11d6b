/// The events a reseller's systems can subscribe to. Payloads hold ids the reseller already has
/// and dates, never a person's name or contact data.
public enum WebhookEventType: String, Sendable, CaseIterable {
    case requestOpened = "data-subject-request.opened"
    case requestDueSoon = "data-subject-request.due-soon"
    case requestExtended = "data-subject-request.extended"
    case requestClosed = "data-subject-request.closed"
    case receiptIssued = "receipt.issued"
    case purgeScheduled = "customer.purge-scheduled"
    case subProcessorChanged = "sub-processor.changed"
    case trafficDataAnswered = "traffic-data-request.answered"
    /// Raised by the fraud rules over the reseller's own numbers (platform.evaluate_fraud writes them).
    case fraudAlertRaised = "fraud-alert.raised"
    case fraudAlertEscalated = "fraud-alert.escalated"
    /// A settlement statement, credit note or debit note the platform issued to the reseller.
    case statementIssued = "statement.issued"
}
