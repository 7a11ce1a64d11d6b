/// How long each class of record is kept: the platform's published promises, defined here once.
///
/// PostgreSQL's retention functions (migration 0004, `platform.run_retention`) apply the same
/// periods; `RetentionPeriodTests` fails if their SQL and these constants ever disagree.
public enum RetentionPeriod {
    /// Traffic data (CDRs, telemetry): the statutory logging duty, counted from the communication.
    public static let trafficDataMonths = 12
    /// Bookkeeping records (usage totals) and the audit trail: years after the record's period.
    public static let bookkeepingYears = 5
    public static let auditTrailYears = 5

    /// `interval '12 months'` as the SQL functions write it.
    public static var trafficDataSQLInterval: String { "interval '\(trafficDataMonths) months'" }
    public static var bookkeepingSQLInterval: String { "interval '\(bookkeepingYears) years'" }
}
