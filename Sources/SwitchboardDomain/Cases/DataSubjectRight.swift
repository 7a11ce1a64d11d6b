/// The rights a person can exercise over their data (GDPR Art. 15–21; DESIGN §3), each answered
/// by one kind of action performed through the case.
public enum DataSubjectRight: String, Sendable, CaseIterable, Codable {
    case access
    case rectification
    case erasure
    case restriction
    case objection
    case portability

    /// What answers a request for this right, as recorded on the completed case.
    public var outcome: DataSubjectRequestOutcome {
        switch self {
        case .access, .portability: .export
        case .rectification: .rectification
        case .erasure: .anonymisation
        case .restriction: .restriction
        case .objection: .preferences
        }
    }
}
