/// A customer company's life cycle: only an active company's people can sign in or be added.
public enum CustomerStatus: String, Sendable, Equatable, CaseIterable {
    case active
    case terminated
}
