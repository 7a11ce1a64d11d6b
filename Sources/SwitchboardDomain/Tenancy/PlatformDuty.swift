/// What a person of the platform's staff may do (DESIGN §11). A person holds one or more; the
/// platform's API keys, being machines, hold the operator's and finance's duties but never the
/// legal reviewer's, whose four-eyes rule needs two distinct people.
public enum PlatformDuty: String, Sendable, Codable, CaseIterable, Comparable {
    /// Runs the network: resellers, stock, CDR ingest, fraud alerts and rules.
    case `operator`
    /// Prices, settlement statements and their corrections.
    case finance
    /// Records and reviews authorities' disclosure requests.
    case legal

    public static func < (lhs: PlatformDuty, rhs: PlatformDuty) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// What a platform API key may do.
    public static let machineDuties: Set<PlatformDuty> = [.operator, .finance]
}
