import Foundation

/// What one rule of one retention run did (or, dry, would do).
public struct RetentionRuleReport: Sendable, Equatable {
    /// The rule's name (``RetentionPolicy/RuleName``) or a maintenance step's (`content-sealing`, `vacuum`).
    public var rule: String
    /// Rows or items deleted (or that would be).
    public var affected: Int64
    /// Per reseller whose data it touched; platform-only data has none.
    public var perReseller: [UUID: Int64]
    public var elapsed: Duration
    /// What the operator should know (counts by kind, what must wait for the next run).
    public var note: String?

    /// `rule` is set by the runner's step that produced the report.
    public init(rule: String = "", affected: Int64 = 0, perReseller: [UUID: Int64] = [:], elapsed: Duration = .zero, note: String? = nil) {
        self.rule = rule
        self.affected = affected
        self.perReseller = perReseller
        self.elapsed = elapsed
        self.note = note
    }

    /// Rows per reseller plus rows of no tenant.
    init(rule: String = "", perReseller: [UUID: Int64], platformRows: Int64 = 0, note: String? = nil) {
        self.init(rule: rule, affected: perReseller.values.reduce(platformRows, +), perReseller: perReseller, note: note)
    }
}
