internal import Foundation
import Hummingbird
import SwitchboardDomain

/// The company's usage totals for a month (this month unless another is chosen).
extension PortalController {
    func usagePage(_ request: Request) async throws -> Response {
        let (visit, manager) = try await managerVisit(request)
        let now = Date()
        let thisMonth = String(PortalFormat.day(now).prefix(7))
        let asked: String? = request.uri.queryParameters.get("month")
        let month = asked.flatMap { Self.isMonth($0) ? $0 : nil } ?? thisMonth
        let output = try await asManager(manager) { try await service.getUsage(.init(query: .init(month: month))) }
        guard case .ok(let ok) = output, case .json(let report) = ok.body else { throw HTTPError(.internalServerError) }
        let numbers: [Components.Schemas.NumberUsage] = report.customers.flatMap { $0.numbers }
        let lines: [[String: String]] = numbers.map { line in
            [
                "number": line.number, "calls": "\(line.totals.calls)", "minutes": "\(line.totals.billedMinutes)", "sms": "\(line.totals.sms)",
                "data": PortalFormat.bytes(Int(line.totals.dataBytes)), "charge": line.totals.charge,
            ]
        }
        var values: [String: Any] = ["month": month, "lines": lines, "empty": lines.isEmpty, "previousURL": "/portal/usage?month=\(Self.month(month, adding: -1))"]
        if let total = report.customers.first?.totals {
            values["total"] = ["calls": "\(total.calls)", "minutes": "\(total.billedMinutes)", "sms": "\(total.sms)",
                               "data": PortalFormat.bytes(Int(total.dataBytes)), "charge": total.charge]
        }
        if month < thisMonth { values["nextURL"] = "/portal/usage?month=\(Self.month(month, adding: 1))" }
        return page("usage", visit, title: "usage_title", path: "/portal/usage?month=\(month)", values)
    }

    static func isMonth(_ text: String) -> Bool {
        guard text.utf8.count == 7, let year = Int(text.prefix(4)), let month = Int(text.suffix(2)), text.dropFirst(4).first == "-" else { return false }
        return (1970...9999).contains(year) && (1...12).contains(month)
    }

    static func month(_ text: String, adding delta: Int) -> String {
        let year = Int(text.prefix(4)) ?? 1970, month = Int(text.suffix(2)) ?? 1
        let index = year * 12 + (month - 1) + delta
        let newYear = max(1970, index / 12), newMonth = index % 12 + 1
        return String(format: "%04d-%02d", newYear, newMonth)
    }
}
