import Foundation

/// The answer period of a data-subject request (GDPR Art. 12(3)): one calendar month from
/// receipt, extendable once by up to two further months, with reasons, before it ends.
///
/// A calendar month, not 30 days: 31 January is due on the last day of February (28th, or 29th
/// in a leap year), 15 March on 15 April, at the same time of day. Counted in UTC.
public enum DataSubjectRequestDeadline {
    public static let answerMonths = 1
    public static let maximumExtensionMonths = 2
    /// Open cases due within this many days are listed (and announced) as due soon.
    public static let dueSoonDays = 7

    /// The deadline of a request received at `receivedAt`, extended by `extensionMonths` (0: none).
    public static func dueAt(receivedAt: Date, extensionMonths: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // Foundation clamps to the month's last day (31 January + 1 month = 28/29 February).
        return calendar.date(byAdding: .month, value: answerMonths + extensionMonths, to: receivedAt)!
    }

    /// Why an extension cannot be granted, or nil when it can.
    public static func extensionRefusal(months: Int, alreadyExtended: Bool, dueAt: Date, now: Date) -> String? {
        if alreadyExtended { return "the deadline was extended once already; it can be extended only once" }
        if !(1...maximumExtensionMonths).contains(months) { return "an extension is 1 or \(maximumExtensionMonths) months" }
        if now >= dueAt { return "the deadline has passed; an extension must be decided before it" }
        return nil
    }
}
