/// One published retention promise: which data, how long, counted from what, and what then happens.
public struct RetentionRule: Sendable, Hashable {
    /// Whose privacy notice the rule belongs in.
    public enum Audience: String, Sendable, Hashable {
        /// The platform as controller (traffic data, fraud, settlement).
        case platform
        /// A reseller as controller of its customers, or as the controller for whom the platform
        /// processes the customers' employees' data.
        case reseller
    }

    /// The rule's name in reports and the API (`call-recordings`, `terminated-customers`).
    public let name: String
    public let dataClasses: [DataClass]
    public let audiences: Set<Audience>
    /// Nil when the data has no age limit of its own (it goes with its record or on request).
    public let keptFor: RetentionSpan?
    /// What the period counts from, as a phrase ("the communication").
    public let countedFrom: String
    /// What happens when it ends.
    public let then: String
    /// Whether the retention job carries the rule out (the others end with another event: a
    /// deletion by the user, an erasure, a purge).
    public let automatic: Bool

    public init(name: String, dataClasses: [DataClass], audiences: Set<Audience>, keptFor: RetentionSpan?, countedFrom: String, then: String, automatic: Bool) {
        self.name = name
        self.dataClasses = dataClasses
        self.audiences = audiences
        self.keptFor = keptFor
        self.countedFrom = countedFrom
        self.then = then
        self.automatic = automatic
    }

    /// One sentence for a privacy notice.
    public var sentence: String {
        guard let keptFor else { return "Kept \(countedFrom); then \(then)." }
        return "Kept \(keptFor.text) from \(countedFrom); then \(then)."
    }
}
