internal import Foundation
internal import OpenAPIRuntime
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Settlement statements (issue 17, DESIGN §11): the platform issues each reseller's month from its
/// rated CDRs, reconciled with the usage totals; a statement never changes, corrections are notes.
extension APIService {
    package func issueStatements(_ input: Operations.IssueStatements.Input) async throws -> Operations.IssueStatements.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        guard let month = SettlementMonth(body.month) else {
            throw Problem.validation([.init(field: "month", rule: "format", message: "must be a month, YYYY-MM")])
        }
        var validator = Validator()
        let resellerID = body.resellerId.flatMap { Self.bodyID($0, field: "resellerId", into: &validator) }
        try validator.finish()
        if let refusal = month.issueRefusal(now: Date()) {
            throw Problem.unprocessable("No statement can be issued for \(month): \(refusal).", type: "statement-month-not-issuable",
                                        errors: [.init(field: "month", rule: "range", message: refusal)])
        }
        if let resellerID {
            let issued = try await transaction { principal, connection in
                guard try await ResellerRepository(connection, logger: logger).get(resellerID) != nil else { throw Problem.notFound("No such reseller.") }
                let issued = try await StatementRepository(connection, logger: logger).issue(resellerID: resellerID, month: month, by: principal.id)
                try await recordIssue(issued, action: "statement.issue", by: principal, on: connection)
                return issued
            }
            return .created(.init(body: .json(.init(issued))))
        }
        let report = try await transaction { principal, connection in
            let report = try await StatementRepository(connection, logger: logger).issueForActiveResellers(month: month, by: principal.id)
            for issued in report.issued {
                try await recordIssue(issued, action: "statement.issue", by: principal, on: connection)
            }
            return report
        }
        return .ok(.init(body: .json(.init(
            month: month.description, issued: report.issued.map { .init($0) },
            skipped: report.skipped.map { .init(resellerId: $0.resellerID.apiString, statementId: $0.statementID.apiString) }
        ))))
    }

    package func listStatements(_ input: Operations.ListStatements.Input) async throws -> Operations.ListStatements.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let resellerID = try input.query.resellerId.map { try RequestValues.id($0, field: "resellerId") }
        let month = try input.query.month.map { text in
            guard let month = SettlementMonth(text) else {
                throw Problem.badRequest("month must be YYYY-MM.", errors: [.init(field: "month", rule: "format", message: "must be a month, YYYY-MM")])
            }
            return month
        }
        let cursor = try input.query.cursor.map(Self.caseCursor)
        // A reseller's rows are narrowed by row-level security whatever it asks for.
        let page = try await transaction { _, connection in
            try await StatementRepository(connection, logger: logger).list(resellerID: resellerID, month: month, after: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor.map(Self.timeCursorText)))))
    }

    package func getStatement(_ input: Operations.GetStatement.Input) async throws -> Operations.GetStatement.Output {
        let id = try RequestValues.id(input.path.statementId, field: "statementId")
        let issued = try await transaction { _, connection in
            guard let issued = try await StatementRepository(connection, logger: logger).get(id) else { throw Self.noSuchStatement }
            return issued
        }
        let wantsCSV = input.query.format == .csv
            || (input.query.format == nil && input.headers.accept.sortedByQuality().first?.contentType == .csv)
        if wantsCSV {
            return .ok(.init(body: .csv(HTTPBody(StatementCSV.document(issued)))))
        }
        return .ok(.init(body: .json(.init(issued))))
    }

    package func addStatementNote(_ input: Operations.AddStatementNote.Input) async throws -> Operations.AddStatementNote.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let statementID = try RequestValues.id(input.path.statementId, field: "statementId")
        var validator = Validator()
        let reason = validator.text(body.reason, field: "reason", maxLength: 1000)
        if body.lines.isEmpty || body.lines.count > 100 {
            validator.add(.init(field: "lines", rule: "size", message: "must hold 1 to 100 lines"))
        }
        var lines: [StatementRepository.NoteLine] = []
        for (index, line) in body.lines.enumerated() {
            let customerID = line.customerId.flatMap { Self.bodyID($0, field: "lines/\(index)/customerId", into: &validator) }
            let description = validator.text(line.description, field: "lines/\(index)/description", maxLength: 500)
            let amount = Self.decimal(line.amount, field: "lines/\(index)/amount", positive: true, into: &validator)
            if let description, let amount { lines.append(.init(customerID: customerID, description: description, amount: amount)) }
        }
        try validator.finish()
        let kind = StatementKind(rawValue: body.kind.rawValue)!
        let note = try await transaction { principal, connection in
            guard let note = try await StatementRepository(connection, logger: logger)
                .addNote(to: statementID, kind: kind, reason: reason!, lines: lines, by: principal.id) else { throw Self.noSuchStatement }
            try await recordIssue(note, action: "statement.note", by: principal, on: connection)
            return note
        }
        return .created(.init(body: .json(.init(note))))
    }

    static let noSuchStatement = Problem.notFound("No such statement.")

    /// Audited in the reseller's chain (its trail shows it), and announced to its systems, in the
    /// issuing transaction.
    private func recordIssue(_ issued: IssuedStatement, action: String, by principal: Principal, on connection: PostgresConnection) async throws {
        let statement = issued.statement
        try await AuditLog.append(
            AuditEntry(action: action, targetID: statement.id, fields: ["kind", "month", "net", "vat", "gross"], resellerID: statement.resellerID),
            by: principal, on: connection, logger: logger
        )
        try await StatementRepository(connection, logger: logger).announce(statement.id)
    }

    /// A UUID in a body, or a violation naming its field.
    static func bodyID(_ text: String, field: String, into validator: inout Validator) -> UUID? {
        guard text.utf8.count == 36, let id = UUID(uuidString: text) else {
            validator.add(.init(field: field, rule: "format", message: "must be a UUID"))
            return nil
        }
        return id
    }

    /// A plain decimal (`123.45`, at most 14 whole digits and 4 places), as PostgreSQL's numeric
    /// reads it exactly; never a float on the way.
    static func decimal(_ text: String, field: String, positive: Bool, wholeDigits: Int = 14, into validator: inout Validator) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { $0.utf8.allSatisfy { (48...57).contains($0) } }
        guard (1...2).contains(parts.count), (1...wholeDigits).contains(parts[0].utf8.count), digits(parts[0]),
              parts.count == 1 || ((1...4).contains(parts[1].utf8.count) && digits(parts[1])) else {
            validator.add(.init(field: field, rule: "format", message: "must be a decimal such as 123.45 (at most \(wholeDigits) whole digits and 4 decimals)"))
            return nil
        }
        if positive, !text.utf8.contains(where: { (49...57).contains($0) }) {
            validator.add(.init(field: field, rule: "range", message: "must be greater than zero"))
            return nil
        }
        return text
    }
}
