/// The data-protection scopes a request can act in (DESIGN §1–2). Each maps to one database role;
/// the request's transaction switches to it, and PostgreSQL's grants and policies do the rest.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Platform staff: tenant metadata and platform-scope data, never processor-scope data.
    case platform
    /// A reseller's staff or API key: its own customers and their employees.
    case reseller
    /// A customer's telecom manager: their own company only.
    case customer
    /// The telephony platform's machines: may store content (voicemail, recordings) for a known
    /// employee and do nothing else, not even read the directory.
    case telephony

    /// The database role a request in this scope runs as.
    public var databaseRole: String {
        switch self {
        case .platform: "sb_platform"
        case .reseller: "sb_reseller"
        case .customer: "sb_customer"
        case .telephony: "sb_telephony"
        }
    }
}
