/// Where a case stands: received → in progress → completed | refused | withdrawn.
public enum DataSubjectRequestState: String, Sendable, CaseIterable {
    case received
    case inProgress = "in-progress"
    case completed
    case refused
    case withdrawn

    /// A closed case never changes again.
    public var isClosed: Bool { self == .completed || self == .refused || self == .withdrawn }

    /// Whether a case may move from this state to `next`. Work may be started or finished from
    /// `received` directly (answering at once passes through in progress).
    public func allows(_ next: DataSubjectRequestState) -> Bool {
        switch (self, next) {
        case (.received, .inProgress), (.received, .completed), (.received, .refused), (.received, .withdrawn): true
        case (.inProgress, .completed), (.inProgress, .refused), (.inProgress, .withdrawn): true
        default: false
        }
    }
}
