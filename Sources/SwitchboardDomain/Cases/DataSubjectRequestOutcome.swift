/// The action that answered a case, linked from it so the answer cannot be forgotten.
public enum DataSubjectRequestOutcome: String, Sendable, CaseIterable {
    /// Access and portability: the export document (its SHA-256 is kept, not the document).
    case export
    /// Erasure: the signed anonymisation receipt.
    case anonymisation
    /// Restriction: the record frozen against processing.
    case restriction
    /// Objection: directory listing and marketing consent changed (history kept).
    case preferences
    /// Rectification: the changed fields (names only).
    case rectification
}
