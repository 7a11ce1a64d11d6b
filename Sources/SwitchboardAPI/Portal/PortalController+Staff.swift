internal import Foundation
import Hummingbird
import SwitchboardDomain
import SwitchboardStore

/// The company's staff list, searchable by name, extension or number, a page at a time.
extension PortalController {
    func staffPage(_ request: Request) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let query = request.uri.queryParameters
        let term = query.get("q").map { String($0.prefix(100)) }?.trimmingCharacters(in: .whitespaces) ?? ""
        let cursor = query.get("cursor").flatMap { $0.utf8.count == 36 ? UUID(uuidString: $0) : nil }
        guard let customerID = manager.customerID else { throw PortalOutcome.signInNeeded(visit) }
        let found = try await read(manager) { connection in
            try await EmployeeRepository(connection, logger: logger, scope: manager).list(
                customerID: customerID, search: EmployeeSearch(try? TextRule.normalised(term, maxLength: 100).get()), after: cursor, limit: Self.pageSize
            )
        }
        let rows: [[String: Any]] = found.items.map { employee in
            [
                "url": PortalPaths.employee(employee.id.apiString),
                "fullName": employee.fullName,
                "extension": employee.extensionNumber ?? "",
                "numbers": employee.numbers.map(\.value).joined(separator: ", "),
                "restricted": employee.restrictedAt != nil,
                "anonymised": employee.anonymisedAt != nil,
            ]
        }
        var values: [String: Any] = ["q": term, "employees": rows, "empty": rows.isEmpty]
        if let next = found.nextCursor {
            values["nextURL"] = PortalPaths.staff + "?cursor=\(next.apiString)" + (term.isEmpty ? "" : "&q=\(PortalPaths.encode(term))")
        }
        if cursor != nil { values["firstURL"] = PortalPaths.staff + (term.isEmpty ? "" : "?q=\(PortalPaths.encode(term))") }
        return page("employees", visit, title: "staff_title", path: request.uri.description, values)
    }
}
