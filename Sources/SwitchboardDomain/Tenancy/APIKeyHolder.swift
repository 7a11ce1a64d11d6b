/// Whose API keys a caller lists and revokes: a reseller its own, the platform its own
/// (reseller keys are the resellers' business once issued).
public enum APIKeyHolder: Sendable, Equatable {
    case reseller
    case platform

    public init(for principal: Principal) {
        self = principal.role == .reseller ? .reseller : .platform
    }
}
