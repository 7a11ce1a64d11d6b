internal import Foundation
internal import OpenAPIRuntime
import SwitchboardDomain
import SwitchboardStore

/// Voicemails, greetings, recordings (stored by the telephony platform) and profile pictures.
extension APIService {
    static let maxAudioBytes = 10 << 20
    static let maxPictureBytes = 2 << 20

    package func storeContent(_ input: Operations.StoreContent.Input) async throws -> Operations.StoreContent.Output {
        let employeeID = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let callerNumber = try RequestValues.matching(input.query.callerNumber, field: "callerNumber", description: "1–15 digits, optionally after +") { value in
            let digits = value.utf8.first == UInt8(ascii: "+") ? value.utf8.dropFirst() : value.utf8[...]
            return (1...15).contains(digits.count) && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
        let durationSeconds = try RequestValues.integer(input.query.durationSeconds, field: "durationSeconds", in: 0...86_400)
        let (contentType, body): (String, HTTPBody) = switch input.body {
        case .audioWav(let body): ("audio/wav", body)
        case .audioMpeg(let body): ("audio/mpeg", body)
        case .audioOgg(let body): ("audio/ogg", body)
        }
        // Read before the transaction opens, so an upload never holds a pooled connection.
        let data = try await Self.collect(body, upTo: Self.maxAudioBytes)
        let id = TimeOrderedID.make()
        let kind = ContentKind(rawValue: input.query.kind.rawValue)!
        // The person must exist before a key is made for them, and the key before the row.
        let owner = try await transaction { _, connection in
            try await ContentOwner.of(employeeID, on: connection, logger: logger)
        }
        guard let owner else { throw Self.unknownContentOwner }
        let sealed = try await seal(data, contentID: id, owner: employeeID)
        try await transaction { principal, connection in
            try await EmployeeRepository(connection, logger: logger, tenant: owner.resellerID).storeContent(
                id: id, owner: owner, kind: kind, contentType: contentType, sealed: sealed, byteSize: data.count,
                callerNumber: callerNumber, durationSeconds: durationSeconds, recordedAt: nil
            )
            // The telephony principal acts for no tenant (the ids above only route the row), so its
            // entries go to the platform chain.
            try await AuditLog.append(
                AuditEntry(action: "content.store", targetID: id, fields: [kind.rawValue], resellerID: nil),
                by: principal, on: connection, logger: logger
            )
        }
        return .created(.init(body: .json(.init(id: id.apiString, kind: kind.rawValue, byteSize: data.count))))
    }

    package func putPicture(_ input: Operations.PutPicture.Input) async throws -> Operations.PutPicture.Output {
        let (contentType, body): (String, HTTPBody) = switch input.body {
        case .png(let body): ("image/png", body)
        case .jpeg(let body): ("image/jpeg", body)
        }
        let data = try await Self.collect(body, upTo: Self.maxPictureBytes)
        let id = TimeOrderedID.make()
        let record = try await changeEmployee(input.path.employeeId, action: "picture.set", fields: ["picture"]) { employees, employeeID, locked, _ in
            let sealed = try await seal(data, contentID: id, owner: employeeID)
            try await employees.deleteContent(of: employeeID, kind: .picture)
            try await employees.storeContent(id: id, owner: ContentOwner(resellerID: locked.resellerID, customerID: locked.customerID, employeeID: employeeID), kind: .picture, contentType: contentType, sealed: sealed,
                                             byteSize: data.count, callerNumber: nil, durationSeconds: nil, recordedAt: nil)
        }
        return .ok(.init(body: .json(.init(
            ContentItem(id: id, kind: .picture, contentType: contentType, byteSize: data.count, callerNumber: nil, durationSeconds: nil, recordedAt: record.updatedAt),
            employeeID: record.id
        ))))
    }

    package func listContent(_ input: Operations.ListContent.Input) async throws -> Operations.ListContent.Output {
        let employeeID = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let items = try await transaction { principal, connection in
            let employees = try EmployeeRepository(connection, logger: logger, scope: principal)
            guard try await employees.get(employeeID) != nil else { throw Problem.notFound("No such employee.") }
            return try await employees.listContent(of: employeeID)
        }
        return .ok(.init(body: .json(.init(items: items.map { .init($0, employeeID: employeeID) }))))
    }

    package func downloadContent(_ input: Operations.DownloadContent.Input) async throws -> Operations.DownloadContent.Output {
        let employeeID = try RequestValues.id(input.path.employeeId, field: "employeeId")
        let contentID = try RequestValues.id(input.path.contentId, field: "contentId")
        let item = try await transaction { principal, connection in
            try await EmployeeRepository(connection, logger: logger, scope: principal).fetchContent(contentID, of: employeeID)
        }
        guard let item, let bytes = try await open(item) else { throw Problem.notFound("No such content.") }
        let body = HTTPBody(bytes)
        let payload: Operations.DownloadContent.Output.Ok.Body = switch item.contentType {
        case "audio/mpeg": .audioMpeg(body)
        case "audio/ogg": .audioOgg(body)
        case "image/png": .png(body)
        case "image/jpeg": .jpeg(body)
        default: .audioWav(body)
        }
        let filename = ContentFileName.make(kind: item.kind.rawValue, id: contentID.apiString, contentType: item.contentType)
        return .ok(.init(
            headers: .init(contentDisposition: "attachment; filename=\"\(filename)\""),
            body: payload
        ))
    }

    /// The content's bytes, or nil when its owner's key was destroyed (an erased person: nothing to give).
    func open(_ item: StoredContent) async throws -> [UInt8]? {
        do {
            return try await vault.open(item.data, sealed: item.sealed, contentID: item.id, owner: item.owner)
        } catch KeyStoreError.destroyed {
            return nil
        }
    }

    /// `bytes` sealed with the owner's key; an erased owner's key is never made again (409).
    func seal(_ bytes: [UInt8], contentID: UUID, owner: UUID) async throws -> [UInt8] {
        do {
            return try await vault.seal(bytes, contentID: contentID, owner: owner)
        } catch KeyStoreError.destroyed {
            throw Self.anonymised
        }
    }

    static let unknownContentOwner = Problem.notFound("No such employee (or the person has been anonymised).")

    /// Reads a binary body whole, refusing more than `limit` bytes with 413.
    static func collect(_ body: HTTPBody, upTo limit: Int) async throws -> [UInt8] {
        do {
            return try await [UInt8](collecting: body, upTo: limit)
        } catch {
            throw Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large",
                          detail: "This content may be at most \(limit) bytes.")
        }
    }
}
