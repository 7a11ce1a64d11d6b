import SwitchboardStore

/// Why a CDR or telemetry batch stored nothing.
extension BatchRefusal: ProblemReporting {
    public var problem: Problem {
        switch self {
        case .invalidLine(let violation):
            Problem(status: .unprocessableContent, type: Problem.typeURI("invalid-line"), title: "Invalid record",
                    detail: "Line \(violation.line ?? 0) of the batch is invalid; nothing was stored.", errors: [violation])
        case .empty:
            Problem(status: .unprocessableContent, type: Problem.typeURI("empty-batch"), title: "Empty batch",
                    detail: "The batch holds no records.", errors: [.init(field: "(body)", rule: "required", message: "must hold at least one record")])
        case .tooLarge(let limit):
            Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large",
                    detail: "A batch may be at most \(limit) bytes; nothing was stored. Split it.")
        case .idempotencyKeyReused:
            Problem(status: .unprocessableContent, type: Problem.typeURI("idempotency-key-reused"), title: "Idempotency-Key reused",
                    detail: "This Idempotency-Key was used for a batch with a different body; nothing was stored.",
                    errors: [.init(field: "Idempotency-Key", rule: "unique", message: "was used for a different batch")])
        case .partitionMissing:
            Problem.serviceUnavailable("No CDR partition exists yet for a record's month; the retention job creates them (run `switchboard retention run`). Nothing was stored.")
        }
    }
}
