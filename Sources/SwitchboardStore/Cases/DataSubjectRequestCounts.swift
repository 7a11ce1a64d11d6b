import Foundation

/// Open cases of one customer (for its reseller) or of one reseller (for the platform): counts only.
package struct DataSubjectRequestCounts: Sendable, Equatable {
    /// The customer's id, or the reseller's in the platform's view.
    package let ownerID: UUID
    package let open: Int
    package let overdue: Int
    package let dueSoon: Int
}
