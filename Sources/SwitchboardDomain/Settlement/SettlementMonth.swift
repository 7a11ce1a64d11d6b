import Foundation

/// The UTC calendar month a settlement statement covers, written `YYYY-MM`.
public struct SettlementMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    /// `YYYY-MM` with a month 01–12 and a year from 2000 (nothing older can have CDRs here).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
              let year = Int(text.prefix(4)), let month = Int(text.suffix(2)),
              text.prefix(4).allSatisfy(\.isASCII), text.suffix(2).allSatisfy({ $0.isASCII && $0.isNumber }),
              (2000...9999).contains(year), (1...12).contains(month) else { return nil }
        self.init(year: year, month: month)
    }

    init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// The month `date` falls in, in UTC.
    public static func containing(_ date: Date) -> SettlementMonth {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return SettlementMonth(year: parts.year!, month: parts.month!)
    }

    public func adding(months: Int) -> SettlementMonth {
        let index = year * 12 + (month - 1) + months
        return SettlementMonth(year: index / 12, month: index % 12 + 1)
    }

    public var description: String { String(format: "%04d-%02d", year, month) }
    /// The first day, as PostgreSQL's `date` reads it.
    public var firstDay: String { "\(description)-01" }

    public static func < (left: SettlementMonth, right: SettlementMonth) -> Bool {
        (left.year, left.month) < (right.year, right.month)
    }

    /// Why no statement can be issued for this month at `now`; nil when one can. Only a completed
    /// month is final (CDRs of the current month still arrive), and only a month whose CDRs are
    /// all still kept under the logging duty can be recomputed from them.
    public func issueRefusal(now: Date) -> String? {
        let current = SettlementMonth.containing(now)
        if self >= current {
            return "\(self) has not ended yet (months are UTC calendar months); a statement covers a completed month only"
        }
        let oldest = current.adding(months: -RetentionPeriod.trafficDataMonths)
        if self < oldest {
            return "\(self) is older than the \(RetentionPeriod.trafficDataMonths) months of CDRs kept; the oldest month that can be issued is \(oldest)"
        }
        return nil
    }
}
