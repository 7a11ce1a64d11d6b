/// What an assigned number is used for.
public enum NumberUse: String, Sendable, CaseIterable {
    /// An employee's phone number.
    case voice
    /// A fax-to-mail route.
    case fax
}
