internal import Foundation
import HTTPTypes

/// The query parameters the generated code decodes into a non-string type, per operation, so a
/// value it cannot decode is answered with the parameter's name.
///
/// The runtime decodes each parameter at the root of its URI decoder, so its `DecodingError` has
/// an empty coding path and names nothing (`?limit=abc` used to say "Field ''", a bad `from` "The
/// request body is not valid JSON"). When decoding an operation's input fails, the parameters
/// listed here are checked against the request to find the one that was refused. String
/// parameters cannot fail there (their rules are the handlers' and name the field already).
enum QueryParameterRules {
    enum Form: Sendable {
        case integer
        case boolean
        case dateTime
        case oneOf(Set<String>)

        var expectation: String {
            switch self {
            case .integer: "must be an integer"
            case .boolean: "must be true or false"
            case .dateTime: "must be an RFC 3339 date-time (e.g. 2026-01-31T12:00:00Z)"
            case .oneOf(let values): "must be one of: \(values.sorted().joined(separator: ", "))"
            }
        }

        func admits(_ value: String) -> Bool {
            switch self {
            case .integer: Int(value) != nil
            case .boolean: value == "true" || value == "false"
            case .dateTime: (try? RFC3339DateTranscoder().decode(value)) != nil
            case .oneOf(let values): values.contains(value)
            }
        }
    }

    struct Rule: Sendable {
        let name: String
        let form: Form
        var required = false
        /// An array parameter: repeated items or comma-separated values, each of `form`.
        var isArray = false
    }

    /// Keyed by operationId, in the contract's order (the order the generated code decodes them).
    static let byOperation: [String: [Rule]] = [
        "listResellers": [Rule(name: "limit", form: .integer)],
        "listCustomers": [Rule(name: "limit", form: .integer)],
        "listRetentionRuns": [Rule(name: "limit", form: .integer)],
        "listEmployees": [Rule(name: "limit", form: .integer)],
        "storeContent": [
            Rule(name: "kind", form: .oneOf(["voicemail", "greeting", "recording"]), required: true),
            Rule(name: "durationSeconds", form: .integer),
        ],
        "listCdrs": [Rule(name: "from", form: .dateTime), Rule(name: "to", form: .dateTime), Rule(name: "limit", form: .integer)],
        "getTrafficAnalytics": [Rule(name: "groupBy", form: .oneOf(["reseller", "country", "kind"]), isArray: true)],
        "listDataSubjectRequests": [
            Rule(name: "state", form: .oneOf(["open", "all"])), Rule(name: "due", form: .oneOf(["overdue", "due-soon"])), Rule(name: "limit", form: .integer),
        ],
        "listTrafficDataRequests": [Rule(name: "answered", form: .boolean), Rule(name: "limit", form: .integer)],
        "listAuditEvents": [Rule(name: "from", form: .dateTime), Rule(name: "to", form: .dateTime), Rule(name: "limit", form: .integer)],
        "getProcessingRecords": [Rule(name: "format", form: .oneOf(["json", "html"]))],
        "listWebhookDeliveries": [Rule(name: "limit", form: .integer)],
        "listPlatformFraudAlerts": [Rule(name: "state", form: .oneOf(["open", "acknowledged", "resolved"])), Rule(name: "limit", form: .integer)],
        "listFraudAlerts": [Rule(name: "state", form: .oneOf(["open", "acknowledged", "resolved"])), Rule(name: "limit", form: .integer)],
        "listDisclosureRequests": [Rule(name: "state", form: .oneOf(["pending", "approved", "refused", "exported"])), Rule(name: "limit", form: .integer)],
        "listStatements": [Rule(name: "limit", form: .integer)],
        "getStatement": [Rule(name: "format", form: .oneOf(["json", "csv"]))],
    ]

    /// A 400 naming the first listed parameter of `operationID` that `request` is missing or
    /// holds in a form the generated code cannot decode; nil when they are all fine (then the
    /// failure was the body's).
    static func problem(operationID: String, request: HTTPRequest) -> Problem? {
        guard let rules = byOperation[operationID] else { return nil }
        let items = queryItems(of: request)
        for rule in rules {
            let values = items.filter { $0.name == rule.name }.map(\.value)
            if values.isEmpty {
                guard rule.required else { continue }
                return .badRequest("Query parameter '\(rule.name)' is required.",
                                   errors: [.init(field: rule.name, rule: "required", message: "is required")])
            }
            let elements = rule.isArray
                ? values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                : values
            if elements.contains(where: { !rule.form.admits($0) }) {
                return .badRequest("Query parameter '\(rule.name)' \(rule.form.expectation).",
                                   errors: [.init(field: rule.name, rule: "format", message: rule.form.expectation)])
            }
        }
        return nil
    }

    /// Names and values as the runtime reads them: percent-decoded, `+` as a space.
    static func queryItems(of request: HTTPRequest) -> [(name: String, value: String)] {
        guard let path = request.path, let mark = path.firstIndex(of: "?") else { return [] }
        func decoded(_ text: Substring) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return path[path.index(after: mark)...].split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decoded(parts[0]), parts.count > 1 ? decoded(parts[1]) : "")
        }
    }
}
