internal import Foundation
import Crypto
internal import OpenAPIRuntime
import SwitchboardDomain
import SwitchboardStore

/// Lawful disclosure (DESIGN §11): one legal reviewer records an authority's request, another
/// approves or refuses it, and only an approved request yields its export, once. Every step is in
/// the platform's own trail (entries without a tenant); nothing reaches a reseller or manager.
extension APIService {
    package func recordDisclosureRequest(_ input: Operations.RecordDisclosureRequest.Input) async throws -> Operations.RecordDisclosureRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        var validator = Validator()
        let authority = validator.text(body.authority, field: "authority")
        let reference = validator.text(body.caseReference, field: "caseReference")
        let basis = validator.text(body.legalBasis, field: "legalBasis", maxLength: 1000)
        if body.country.wholeMatch(of: /[A-Z]{2}/) == nil {
            validator.add(.init(field: "country", rule: "pattern", message: "must be an ISO 3166 alpha-2 code, e.g. DK"))
        }
        let numbers = Array(Set(body.numbers ?? [])).sorted()
        let iccids = Array(Set(body.iccids ?? [])).sorted()
        for number in numbers { _ = validator.phone(number, field: "numbers") }
        for iccid in iccids where iccid.wholeMatch(of: /[0-9]{19,20}/) == nil {
            validator.add(.init(field: "iccids", rule: "pattern", message: "must be 19 or 20 digits"))
        }
        let addresses = Array(Set(body.ipAddresses ?? [])).sorted()
        for text in addresses where !IPAddressText.isValid(text) {
            validator.add(.init(field: "ipAddresses", rule: "ip", message: "\(text.prefix(45)) is not an IPv4 or IPv6 address"))
        }
        if !(1...100).contains(numbers.count + iccids.count + addresses.count) {
            validator.add(.init(field: "numbers", rule: "count", message: "name 1 to 100 identifiers (numbers, ICCIDs, IP addresses) in all"))
        }
        // Retained data only: nothing after the request is recorded (the export is not interception),
        // nothing older than the logging duty keeps.
        let now = Date()
        if !(body.from < body.to) || body.to > now {
            validator.add(.init(field: "to", rule: "range", message: "must be after from and not after the time the request is recorded"))
        }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        if body.from < utc.date(byAdding: .month, value: -RetentionPeriod.trafficDataMonths, to: now)! {
            validator.add(.init(field: "from", rule: "range", message: "must be within the \(RetentionPeriod.trafficDataMonths) months of traffic data kept"))
        }
        try validator.finish()
        let request = DisclosureRepository.NewRequest(
            authority: authority!, country: body.country, caseReference: reference!, legalBasis: basis!, numbers: numbers, iccids: iccids,
            ipAddresses: addresses, periodStart: body.from, periodEnd: body.to
        )
        let record = try await transaction { principal, connection in
            let record = try await DisclosureRepository(connection, logger: logger).record(request, id: TimeOrderedID.make(), by: principal.id)
            try await AuditLog.append(AuditEntry(action: "disclosure.record", targetID: record.id,
                                                 fields: ["authority", "country", "caseReference", "legalBasis", "identifiers", "period"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return record
        }
        return .created(.init(body: .json(.init(record))))
    }

    package func listDisclosureRequests(_ input: Operations.ListDisclosureRequests.Input) async throws -> Operations.ListDisclosureRequests.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let cursor = try input.query.cursor.map(Self.caseCursor)
        let state = input.query.state.flatMap { DisclosureRecord.State(rawValue: $0.rawValue) }
        let page = try await transaction { _, connection in
            try await DisclosureRepository(connection, logger: logger).list(state: state, before: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.DisclosureRequest.init), nextCursor: page.nextCursor.map(Self.timeCursorText)))))
    }

    package func getDisclosureRequest(_ input: Operations.GetDisclosureRequest.Input) async throws -> Operations.GetDisclosureRequest.Output {
        let id = try RequestValues.id(input.path.disclosureId, field: "disclosureId")
        let record = try await transaction { _, connection in try await DisclosureRepository(connection, logger: logger).get(id) }
        guard let record else { throw Self.noSuchDisclosure }
        return .ok(.init(body: .json(.init(record))))
    }

    package func approveDisclosureRequest(_ input: Operations.ApproveDisclosureRequest.Input) async throws -> Operations.ApproveDisclosureRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let record = try await reviewDisclosure(input.path.disclosureId, approve: true, reason: body.reason)
        return .ok(.init(body: .json(.init(record))))
    }

    package func refuseDisclosureRequest(_ input: Operations.RefuseDisclosureRequest.Input) async throws -> Operations.RefuseDisclosureRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let record = try await reviewDisclosure(input.path.disclosureId, approve: false, reason: body.reason)
        return .ok(.init(body: .json(.init(record))))
    }

    private func reviewDisclosure(_ rawID: String, approve: Bool, reason rawReason: String) async throws -> DisclosureRecord {
        let id = try RequestValues.id(rawID, field: "disclosureId")
        var validator = Validator()
        let reason = validator.text(rawReason, field: "reason", maxLength: 1000)
        try validator.finish()
        return try await transaction { principal, connection in
            let disclosures = DisclosureRepository(connection, logger: logger)
            guard let request = try await disclosures.get(id, locking: true) else { throw Self.noSuchDisclosure }
            guard request.recordedBy != principal.id else {
                throw Problem(status: .forbidden, type: Problem.typeURI("four-eyes"), title: "Forbidden",
                              detail: "The person who recorded a disclosure request cannot review it; another legal reviewer must.")
            }
            guard request.state == .pending, let reviewed = try await disclosures.review(id, approve: approve, reason: reason!, by: principal.id, now: Date()) else {
                throw Problem.conflict("The request was reviewed already (\(request.state.rawValue)).", type: "already-reviewed")
            }
            try await AuditLog.append(AuditEntry(action: approve ? "disclosure.approve" : "disclosure.refuse", targetID: id, fields: ["reason"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return reviewed
        }
    }

    package func exportDisclosure(_ input: Operations.ExportDisclosure.Input) async throws -> Operations.ExportDisclosure.Output {
        let id = try RequestValues.id(input.path.disclosureId, field: "disclosureId")
        let receipts = receipts
        let export = try await transaction(kind: .long) { principal, connection in
            let disclosures = DisclosureRepository(connection, logger: logger)
            guard let request = try await disclosures.get(id, locking: true) else { throw Self.noSuchDisclosure }
            switch request.state {
            case .pending, .refused:
                throw Problem.conflict("Only an approved request can be exported (this one is \(request.state.rawValue)).", type: "not-approved")
            case .exported:
                throw Problem.gone("The export was fetched already; it is handed over once.", type: "exported")
            case .approved:
                break
            }
            let now = Date()
            guard let until = request.downloadUntil, now < until else {
                throw Problem.gone("The export's download window has ended; record the request again.", type: "download-expired")
            }
            let key = try await receipts.currentSigner(on: connection, logger: logger)
            guard let export = try await disclosures.export(request, by: principal.id, signedBy: key, at: now) else {
                throw Problem.unprocessable("The period holds more than \(DisclosureRepository.maximumRecords) records; record the request in parts.",
                                            type: "export-too-large")
            }
            try await AuditLog.append(AuditEntry(action: "disclosure.export", targetID: id, fields: ["records", "sha256"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return export
        }
        let digest = Data(SHA256.hash(data: export.document)).base64EncodedString()
        return .ok(.init(
            headers: .init(reprDigest: "sha-256=:\(digest):", contentDisposition: "attachment; filename=\"disclosure-\(id.apiString).json\""),
            body: .binary(HTTPBody(export.document))
        ))
    }

    static let noSuchDisclosure = Problem.notFound("No such disclosure request.")
}

extension Components.Schemas.DisclosureRequest {
    init(_ record: DisclosureRecord) {
        self.init(
            id: record.id.apiString, authority: record.authority, country: record.country, caseReference: record.caseReference,
            legalBasis: record.legalBasis, numbers: record.numbers, iccids: record.iccids, ipAddresses: record.ipAddresses,
            from: record.periodStart, to: record.periodEnd, recordedBy: record.recordedBy.apiString, recordedAt: record.recordedAt,
            state: .init(rawValue: record.state.rawValue)!, reviewedBy: record.reviewedBy?.apiString, reviewedAt: record.reviewedAt,
            reviewReason: record.reviewReason, downloadUntil: record.downloadUntil, exportedAt: record.exportedAt,
            exportedBy: record.exportedBy?.apiString, exportRecords: record.exportRecords, exportSha256: record.exportSHA256
        )
    }
}
