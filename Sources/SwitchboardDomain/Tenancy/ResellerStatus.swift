/// A reseller's standing with the platform: a suspended reseller's keys and sessions stop working.
public enum ResellerStatus: String, Sendable, Equatable, CaseIterable {
    case active
    case suspended
}
