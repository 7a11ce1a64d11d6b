internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// A leaver's request, checked: what becomes of each kind of holding, to whom, and when the
/// person is anonymised. Everything that can be judged without the database is judged here.
struct OffboardPlan: Sendable {
    enum Transfer: String, Sendable { case release, handOver = "hand-over" }
    enum SIMTransfer: Sendable, Equatable { case handOver, release(SIMDisposition) }
    enum ContentTransfer: String, Sendable { case delete, handOver = "hand-over" }

    /// Voicemail messages and greetings: what a colleague taking over the line needs.
    static let handedOverContent: [ContentKind] = [.voicemail, .greeting]

    var successorID: UUID?
    var numbers: Transfer
    var sims: SIMTransfer
    var faxToMail: Transfer
    var content: ContentTransfer
    /// `YYYY-MM-DD`, today or later (UTC); nil anonymises now.
    var anonymiseOn: String?

    var handsOverAnything: Bool {
        numbers == .handOver || sims == .handOver || faxToMail == .handOver || content == .handOver
    }

    init(_ body: Components.Schemas.OffboardRequest, leaver: UUID, today: String) throws {
        var validator = Validator()
        numbers = Transfer(rawValue: body.numbers?.rawValue ?? "release")!
        faxToMail = Transfer(rawValue: body.faxToMail?.rawValue ?? "release")!
        content = ContentTransfer(rawValue: body.voicemail?.rawValue ?? "delete")!
        switch body.sims?.rawValue ?? "release" {
        case "hand-over": sims = .handOver
        case "release": sims = .release(.available)
        case let other: sims = .release(SIMDisposition(rawValue: other)!)
        }
        if let raw = body.successorId {
            if raw.utf8.count == 36, let id = UUID(uuidString: raw) {
                successorID = id
                if id == leaver { validator.add(FieldViolation(field: "successorId", rule: "same-person", message: "must be someone other than the leaver")) }
            } else {
                validator.add(FieldViolation(field: "successorId", rule: "format", message: "must be a UUID"))
            }
        } else if handsOverAnything {
            validator.add(FieldViolation(field: "successorId", rule: "required", message: "is required to hand anything over"))
        }
        if let day = body.anonymiseOn {
            if (try? RequestValues.day(day, field: "anonymiseOn")) == nil {
                validator.add(FieldViolation(field: "anonymiseOn", rule: "format", message: "must be a date (YYYY-MM-DD)"))
            } else if day < today {
                validator.add(FieldViolation(field: "anonymiseOn", rule: "past", message: "must be today or later (UTC)"))
            } else {
                anonymiseOn = day
            }
        }
        try validator.finish()
    }
}
