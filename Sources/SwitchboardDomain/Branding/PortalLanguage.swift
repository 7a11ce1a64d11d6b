/// The languages the portal's texts exist in; a brand picks its default, a manager may switch.
public enum PortalLanguage: String, Sendable, CaseIterable {
    case danish = "da"
    case english = "en"
}
