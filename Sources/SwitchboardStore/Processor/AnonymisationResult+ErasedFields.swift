import Foundation

extension AnonymisationResult {
    /// The field names an anonymisation's audit entry lists (never values), the same for a request
    /// and for the scheduled job.
    public var erasedFields: [String] {
        var erased = ["fullName", "email", "mobile", "extension", "restrictionReason"]
        if preferenceHistoryDeleted > 0 { erased.append("preferenceHistory") }
        for kind in ["voicemail", "greeting", "recording", "picture"] where (contentDeleted[kind] ?? 0) > 0 {
            erased.append(kind)
        }
        return erased
    }
}
