internal import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardDomain
import SwitchboardStore

/// One employee's page: details (edited with the ETag carried in the form, so a concurrent change
/// is shown as a conflict rather than overwritten), numbers, SIMs and fax-to-mail, directory
/// listing and marketing consent with their history, restriction, anonymisation, export, and the
/// voicemails and recordings to download.
extension PortalController {
    struct DetailsForm: Decodable {
        var fullName: String?
        var email: String?
        var mobile: String?
        var `extension`: String?
        var etag: String?
        var csrf: String?
    }

    struct PreferencesForm: Decodable {
        var directoryListing: String?
        var marketingConsent: String?
        var etag: String?
        var csrf: String?
    }

    struct RestrictionForm: Decodable {
        var reason: String?
        var csrf: String?
    }

    struct AnonymiseForm: Decodable {
        var confirmation: String?
        var csrf: String?
    }

    /// What an employee page shows, read in one transaction of the manager's scope.
    struct EmployeeView: Sendable {
        var record: EmployeeRecord
        var history: [PreferenceChange]
        var content: [ContentItem]
    }

    /// Messages and form values a re-rendered page carries.
    struct EmployeeMessages {
        var notice: String?
        var formError: String?
        var fieldErrors: [String: String] = [:]
        var conflict: [[String: String]]?
        var details: DetailsForm?
        var restrictionError: String?
    }

    // MARK: reading

    func employeeID(_ context: AppRequestContext, _ visit: PortalVisit) throws -> UUID {
        // Exactly an id: anything else names no employee (and a foreign id the same, 404).
        guard let raw = context.parameters.get("id"), raw.utf8.count == 36, let id = UUID(uuidString: raw) else {
            throw PortalOutcome.page(visit, .notFound, messageKey: "error_not_found")
        }
        return id
    }

    /// The employee alone: what a change is compared with (its page's history and content are read
    /// only when the page is shown again).
    func loadRecord(_ id: UUID, _ visit: PortalVisit, _ manager: Principal) async throws -> EmployeeRecord {
        let record = try await read(manager) { connection in try await EmployeeRepository(connection, logger: logger, scope: manager).get(id) }
        guard let record else { throw PortalOutcome.page(visit, .notFound, messageKey: "error_not_found") }
        return record
    }

    func loadEmployee(_ id: UUID, _ visit: PortalVisit, _ manager: Principal) async throws -> EmployeeView {
        let view = try await read(manager) { connection -> EmployeeView? in
            let employees = try EmployeeRepository(connection, logger: logger, scope: manager)
            guard let record = try await employees.get(id) else { return nil }
            return EmployeeView(record: record, history: try await employees.preferenceHistory(id), content: try await employees.listContent(of: id))
        }
        guard let view else { throw PortalOutcome.page(visit, .notFound, messageKey: "error_not_found") }
        return view
    }

    func employeePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let view = try await loadEmployee(id, visit, manager)
        var messages = EmployeeMessages()
        if let done = request.uri.queryParameters.get("done"), ["saved", "preferences", "restricted", "lifted"].contains(done) {
            messages.notice = texts.text("notice_\(done)", visit.language)
        }
        return renderEmployee(view, visit, status: .ok, messages: messages)
    }

    func renderEmployee(_ view: EmployeeView, _ visit: PortalVisit, status: HTTPResponse.Status, messages: EmployeeMessages) -> Response {
        let record = view.record
        let id = record.id.apiString
        let words = texts.texts(visit.language)
        let form = messages.details
        var values: [String: Any] = [
            "employee": [
                "id": id,
                "fullName": record.fullName,
                "email": record.email ?? "",
                "mobile": record.mobile ?? "",
                "extension": record.extensionNumber ?? "",
                "listed": record.directoryListing == .listed,
                "marketingConsent": record.marketingConsent,
                "restricted": record.restrictedAt != nil,
                "restrictionReason": record.restrictionReason ?? "",
                "restrictedAt": record.restrictedAt.map(PortalFormat.time) ?? "",
                "anonymised": record.anonymisedAt != nil,
                "editable": record.restrictedAt == nil && record.anonymisedAt == nil,
            ] as [String: Any],
            "form": [
                "fullName": form?.fullName ?? record.fullName,
                "email": form?.email ?? record.email ?? "",
                "mobile": form?.mobile ?? record.mobile ?? "",
                "extension": form?.extension ?? record.extensionNumber ?? "",
                "etag": RequestValues.etag(record.version),
            ],
            "fieldErrors": messages.fieldErrors,
            "numbers": record.numbers.map { ["value": $0.value, "since": PortalFormat.day($0.assignedAt)] },
            "sims": record.sims.map { ["value": $0.value, "since": PortalFormat.day($0.assignedAt)] },
            "faxToMail": record.faxToMail.map { ["faxNumber": $0.faxNumber, "deliveryEmail": $0.deliveryEmail] },
            "hasHoldings": !(record.numbers.isEmpty && record.sims.isEmpty && record.faxToMail.isEmpty),
            "history": view.history.reversed().map { change in
                [
                    "preference": words["preference_\(change.preference)"] ?? change.preference,
                    "value": words["value_\(change.value)"] ?? change.value,
                    "changedAt": PortalFormat.time(change.changedAt),
                    "changedBy": words["role_\(change.changedByRole)"] ?? change.changedByRole,
                ]
            },
            "content": view.content.filter { $0.kind != .picture }.map { item in
                [
                    "kind": words["content_\(item.kind.rawValue)"] ?? item.kind.rawValue,
                    "recordedAt": PortalFormat.time(item.recordedAt),
                    "size": PortalFormat.bytes(item.byteSize),
                    "caller": item.callerNumber ?? "",
                    "duration": item.durationSeconds.map { "\($0) s" } ?? "",
                    "url": PortalPaths.employee(id) + "/content/\(item.id.apiString)",
                ]
            },
            "employeeURL": PortalPaths.employee(id),
            "exportURL": PortalPaths.employee(id) + "/export",
            "anonymiseURL": PortalPaths.employee(id) + "/anonymise",
        ]
        values["hasContent"] = !((values["content"] as? [Any])?.isEmpty ?? true)
        values["hasHistory"] = !view.history.isEmpty
        if let notice = messages.notice { values["notice"] = notice }
        if let error = messages.formError { values["formError"] = error }
        if let conflict = messages.conflict {
            values["hasConflict"] = true
            values["hasConflictRows"] = !conflict.isEmpty
            values["conflictRows"] = conflict
        }
        if let error = messages.restrictionError { values["restrictionError"] = error }
        return page("employee", visit, title: "employee_title", status: status, path: PortalPaths.employee(id), values)
    }

    // MARK: changes

    func saveDetails(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let form = try await form(DetailsForm.self, from: request)
        try requireCSRF(form.csrf, visit)
        let record = try await loadRecord(id, visit, manager)
        var patch = Components.Schemas.EmployeePatch()
        if let name = form.fullName, name != record.fullName { patch.fullName = name }
        if let email = form.email, email != (record.email ?? "") { patch.email = email }
        if let mobile = form.mobile, mobile != (record.mobile ?? "") { patch.mobile = mobile }
        if let number = form.extension, number != (record.extensionNumber ?? "") { patch._extension = number }
        return try await update(id, patch, etag: form.etag ?? "", visit, manager, submitted: form, done: "saved")
    }

    func savePreferences(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let form = try await form(PreferencesForm.self, from: request)
        try requireCSRF(form.csrf, visit)
        guard let chosen = form.directoryListing, let listing = Components.Schemas.EmployeePatch.DirectoryListingPayload(rawValue: chosen) else {
            var messages = EmployeeMessages()
            messages.formError = texts.text("form_invalid", visit.language)
            return renderEmployee(try await loadEmployee(id, visit, manager), visit, status: .unprocessableContent, messages: messages)
        }
        let record = try await loadRecord(id, visit, manager)
        var patch = Components.Schemas.EmployeePatch()
        if (listing == .listed) != (record.directoryListing == .listed) { patch.directoryListing = listing }
        let consent = form.marketingConsent == "on" || form.marketingConsent == "true"
        if consent != record.marketingConsent { patch.marketingConsent = consent }
        return try await update(id, patch, etag: form.etag ?? "", visit, manager, submitted: nil, done: "preferences")
    }

    /// Applies a change through the API's own operation, with the ETag the form was rendered with.
    private func update(_ id: UUID, _ patch: Components.Schemas.EmployeePatch, etag: String, _ visit: PortalVisit,
                        _ manager: Principal, submitted: DetailsForm?, done: String) async throws -> Response {
        let input = Operations.UpdateEmployee.Input(path: .init(employeeId: id.apiString), headers: .init(ifMatch: etag.isEmpty ? "\"-1\"" : etag), body: .json(patch))
        do {
            let output = try await asManager(manager) { try await service.updateEmployee(input) }
            switch output {
            case .ok:
                return PortalResponse.redirect(PortalPaths.employee(id.apiString) + "?done=\(done)")
            case .preconditionFailed:
                return try await conflict(id, visit, manager, submitted: submitted)
            default:
                return PortalResponse.redirect(PortalPaths.employee(id.apiString))
            }
        } catch let refusal as any ProblemReporting where refusal.status == .unprocessableContent || refusal.status == .badRequest {
            var messages = EmployeeMessages(details: submitted)
            messages.formError = texts.text("form_invalid", visit.language)
            for error in refusal.problem.errors {
                messages.fieldErrors[error.field] = texts.texts(visit.language)["field_\(error.rule)"] ?? texts.text("field_invalid", visit.language)
            }
            return renderEmployee(try await loadEmployee(id, visit, manager), visit, status: .unprocessableContent, messages: messages)
        } catch let reporting as any ProblemReporting where reporting.status == .conflict {
            // Restricted or anonymised meanwhile, or a taken extension: say so on the page.
            var messages = EmployeeMessages(details: submitted)
            let fields = reporting.problem.errors.map(\.field)
            if fields.contains("extension") {
                messages.fieldErrors["extension"] = texts.text("field_unique", visit.language)
                messages.formError = texts.text("form_invalid", visit.language)
            } else {
                messages.formError = texts.text("error_conflict", visit.language)
            }
            let fresh = try await loadEmployee(id, visit, manager)
            return renderEmployee(fresh, visit, status: .conflict, messages: messages)
        }
    }

    /// Someone changed the employee since the form was loaded: nothing is saved; the page shows
    /// the current values with the ones the manager had entered beside them.
    private func conflict(_ id: UUID, _ visit: PortalVisit, _ manager: Principal, submitted: DetailsForm?) async throws -> Response {
        let fresh = try await loadEmployee(id, visit, manager)
        var messages = EmployeeMessages()
        let words = texts.texts(visit.language)
        var rows: [[String: String]] = []
        if let submitted {
            let pairs: [(String, String?, String?)] = [
                ("label_full_name", submitted.fullName, fresh.record.fullName), ("label_email", submitted.email, fresh.record.email ?? ""),
                ("label_mobile", submitted.mobile, fresh.record.mobile ?? ""), ("label_extension", submitted.extension, fresh.record.extensionNumber ?? ""),
            ]
            for (label, yours, current) in pairs where yours != nil && yours != current {
                rows.append(["field": words[label] ?? label, "yours": yours ?? "", "current": current ?? ""])
            }
        }
        messages.conflict = rows
        return renderEmployee(fresh, visit, status: .conflict, messages: messages)
    }

    func restrict(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let form = try await form(RestrictionForm.self, from: request)
        try requireCSRF(form.csrf, visit)
        do {
            _ = try await asManager(manager) {
                try await service.restrictEmployee(.init(path: .init(employeeId: id.apiString), body: .json(.init(reason: form.reason ?? ""))))
            }
        } catch let refusal as any ProblemReporting where refusal.status == .unprocessableContent || refusal.status == .badRequest {
            var messages = EmployeeMessages()
            messages.restrictionError = texts.text("restriction_reason_needed", visit.language)
            return renderEmployee(try await loadEmployee(id, visit, manager), visit, status: .unprocessableContent, messages: messages)
        }
        return PortalResponse.redirect(PortalPaths.employee(id.apiString) + "?done=restricted")
    }

    func liftRestriction(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let form = try await form(CSRFForm.self, from: request)
        try requireCSRF(form.csrf, visit)
        _ = try await asManager(manager) { try await service.liftRestriction(.init(path: .init(employeeId: id.apiString))) }
        return PortalResponse.redirect(PortalPaths.employee(id.apiString) + "?done=lifted")
    }

    // MARK: anonymisation

    func anonymisePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        return renderAnonymise(try await loadRecord(id, visit, manager), visit, status: .ok, error: nil)
    }

    func renderAnonymise(_ record: EmployeeRecord, _ visit: PortalVisit, status: HTTPResponse.Status, error: String?) -> Response {
        let path = PortalPaths.employee(record.id.apiString)
        var values: [String: Any] = [
            "employee": ["id": record.id.apiString, "fullName": record.fullName, "anonymised": record.anonymisedAt != nil],
            "employeeURL": path,
            "actionURL": path + "/anonymise",
        ]
        if let error { values["formError"] = error }
        return page("anonymise", visit, title: "anonymise_title", status: status, path: path + "/anonymise", values)
    }

    /// Carried out only when the manager typed the person's full name exactly: erasure cannot be undone.
    func anonymise(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let form = try await form(AnonymiseForm.self, from: request)
        try requireCSRF(form.csrf, visit)
        let record = try await loadRecord(id, visit, manager)
        guard record.anonymisedAt == nil else { return PortalResponse.redirect(PortalPaths.employee(id.apiString)) }
        guard form.confirmation?.trimmingCharacters(in: .whitespaces) == record.fullName else {
            return renderAnonymise(record, visit, status: .unprocessableContent, error: texts.text("anonymise_mismatch", visit.language))
        }
        let output = try await asManager(manager) { try await service.anonymiseEmployee(.init(path: .init(employeeId: id.apiString))) }
        guard case .ok(let ok) = output, case .json(let receipt) = ok.body else { throw HTTPError(.internalServerError) }
        let values: [String: Any] = [
            "receipt": [
                "employeeId": receipt.employeeId,
                "anonymisedAt": PortalFormat.time(receipt.anonymisedAt),
                "pseudonym": receipt.pseudonym,
                "erased": receipt.erased,
                "released": receipt.released.numbers + receipt.released.sims + receipt.released.faxToMail,
                "retained": receipt.retained.map { ["data": $0.data, "holder": $0.holder, "reason": $0.reason, "until": $0.until] },
            ] as [String: Any],
            "employeeURL": PortalPaths.employee(id.apiString),
        ]
        return page("receipt", visit, title: "receipt_title", path: PortalPaths.employee(id.apiString), values)
    }

    // MARK: downloads

    /// The same JSON document as `GET /v1/employees/{id}/export` (and audited the same way).
    func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        let output: Operations.ExportEmployee.Output
        do {
            output = try await asManager(manager) { try await service.exportEmployee(.init(path: .init(employeeId: id.apiString))) }
        } catch let reporting as any ProblemReporting where reporting.status == .notFound {
            throw PortalOutcome.page(visit, .notFound, messageKey: "error_not_found")
        }
        guard case .ok(let ok) = output, case .json(let document) = ok.body else { throw HTTPError(.internalServerError) }
        let encoder = JSONEncoder()
        let dates = RFC3339DateTranscoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try dates.encode(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = try encoder.encode(document)
        return PortalResponse.download(ByteBuffer(bytes: bytes), contentType: "application/json", filename: "employee-\(id.apiString).json")
    }

    /// A voicemail or recording, as stored.
    func downloadContent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let id = try employeeID(context, visit)
        guard let raw = context.parameters.get("contentId"), raw.utf8.count == 36, let contentID = UUID(uuidString: raw) else {
            throw PortalOutcome.page(visit, .notFound, messageKey: "error_not_found")
        }
        let item = try await read(manager) { connection in
            try await EmployeeRepository(connection, logger: logger, scope: manager).fetchContent(contentID, of: id)
        }
        guard let item, let bytes = try await service.open(item) else { throw PortalOutcome.page(visit, .notFound, messageKey: "error_not_found") }
        return PortalResponse.download(ByteBuffer(bytes: bytes), contentType: item.contentType,
                                       filename: ContentFileName.make(kind: item.kind.rawValue, id: contentID.apiString, contentType: item.contentType))
    }
}
