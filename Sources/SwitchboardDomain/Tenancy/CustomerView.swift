/// How much of a customer record a caller may read: the platform sees tenant metadata only
/// (no CVR, external reference or directory settings); the reseller and the company's manager see it all.
public enum CustomerView: Sendable, Equatable {
    case full
    case metadata

    public init(for principal: Principal) {
        self = principal.role == .platform ? .metadata : .full
    }
}
