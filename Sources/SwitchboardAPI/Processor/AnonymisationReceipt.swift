internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The receipt of an erasure: what is gone, what was released, and what others keep and why.
enum AnonymisationReceipt {
    static func erasedFields(_ result: AnonymisationResult) -> [String] { result.erasedFields }

    static func make(employeeID: UUID, result: AnonymisationResult) -> Components.Schemas.AnonymisationReceipt {
        var erased = result.alreadyAnonymised ? [] : ["fullName", "email", "mobile", "extension", "picture", "restrictionReason"]
        if result.preferenceHistoryDeleted > 0 { erased.append("directory-listing and marketing-consent history (\(result.preferenceHistoryDeleted) entries)") }
        for kind in ["voicemail", "greeting", "recording"] {
            if let count = result.contentDeleted[kind], count > 0 { erased.append("\(kind) (\(count))") }
        }
        let calendar = Calendar(identifier: .gregorian)
        let loggingEnd = calendar.date(byAdding: .month, value: RetentionPeriod.trafficDataMonths, to: result.anonymisedAt) ?? result.anonymisedAt
        let auditEnd = calendar.date(byAdding: .year, value: RetentionPeriod.auditTrailYears, to: result.anonymisedAt) ?? result.anonymisedAt
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        return .init(
            employeeId: employeeID.apiString,
            anonymisedAt: result.anonymisedAt,
            pseudonym: result.pseudonym,
            alreadyAnonymised: result.alreadyAnonymised,
            erased: erased,
            released: .init(numbers: result.numbersReleased, sims: result.simsReleased, faxToMail: result.faxToMailRemoved),
            retained: [
                .init(data: "Traffic data (CDRs) of the released numbers, not linkable to the person from the reseller's side",
                      holder: "the platform, as independent controller", reason: "statutory logging duty for telecom traffic data",
                      until: day.string(from: loggingEnd)),
                .init(data: "Audit trail entries for this record (ids and field names, no values)",
                      holder: "the platform", reason: "accountability for processing on the reseller's instructions",
                      until: day.string(from: auditEnd)),
            ]
        )
    }
}
