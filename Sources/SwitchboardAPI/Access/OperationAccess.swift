import HTTPTypes
import SwitchboardDomain

/// Who may call each operation, declared once.
///
/// ``OperationGate`` checks it before a request's body is read, and ``APIService/transaction(_:)``
/// checks it again on the principal its transaction runs as, so the two cannot disagree. A route
/// without an entry cannot be registered (``MethodAwareTransport`` refuses it): fail closed.
enum OperationAccess: Sendable, Equatable {
    /// No credential needed (health, readiness, logging in); the body size limit still applies.
    case open
    /// Only principals in these roles; a platform principal only with one of `duties`
    /// (``Principal/duties``: a staff member's own, a platform key's machine duties).
    case admits(Set<Role>, duties: Set<PlatformDuty>)

    /// Principals in these roles; the platform's among them are its operators (and its keys).
    static func roles(_ roles: Set<Role>, duties: Set<PlatformDuty> = [.operator]) -> OperationAccess {
        .admits(roles, duties: duties)
    }

    static let everyone = OperationAccess.roles(Set(Role.allCases), duties: Set(PlatformDuty.allCases))
    /// The platform's network operations: operators and the platform's keys.
    static let platform = OperationAccess.roles([.platform])
    /// Any of the platform's staff or keys (reading its own registers and trail).
    static let platformStaff = OperationAccess.roles([.platform], duties: Set(PlatformDuty.allCases))
    /// Prices and settlement: finance staff and the platform's keys.
    static let finance = OperationAccess.roles([.platform], duties: [.finance])
    /// Lawful disclosure: legal reviewers only, as people (no key holds the duty).
    static let legal = OperationAccess.roles([.platform], duties: [.legal])
    static let reseller = OperationAccess.roles([.reseller])
    static let keyHolders = OperationAccess.roles([.platform, .reseller])
    /// The processor scope: the owning reseller and the company's managers; never the platform.
    static let directory = OperationAccess.roles([.reseller, .customer])

    /// Keyed by method and the contract's path template, as the generated code registers them.
    static let byRoute: [String: OperationAccess] = [
        "GET /health": .open,
        "GET /ready": .open,
        // Prometheus scrapes without credentials; keep it on a network only monitoring reaches.
        "GET /metrics": .open,
        "POST /v1/sessions": .open,
        "POST /v1/platform/sessions": .open,
        // Platform staff: managed by the platform's keys and operators; each person reads their own duties through /v1/me.
        "POST /v1/platform/staff": .platform,
        "GET /v1/platform/staff": .platform,
        "PUT /v1/platform/staff/{staffId}": .platform,
        "GET /v1/me": .everyone,
        // Only a session can be ended; the handler says so to a key holder.
        "DELETE /v1/sessions/current": .everyone,

        "POST /v1/resellers": .platform,
        "GET /v1/resellers": .platform,
        "GET /v1/resellers/{resellerId}": .platform,
        "PATCH /v1/resellers/{resellerId}": .platform,
        "POST /v1/resellers/{resellerId}/api-keys": .platform,
        "POST /v1/resellers/{resellerId}/api-keys/recovery": .platform,
        "POST /v1/telephony-keys": .platform,
        "GET /v1/telephony-keys": .platform,
        "DELETE /v1/telephony-keys/{keyId}": .platform,
        "POST /v1/api-keys": .keyHolders,
        "GET /v1/api-keys": .keyHolders,
        "DELETE /v1/api-keys/{keyId}": .keyHolders,

        // Inventory: the platform allocates and reclaims stock; the reseller and its managers assign from it.
        "POST /v1/resellers/{resellerId}/number-blocks": .platform,
        "GET /v1/resellers/{resellerId}/number-blocks": .platform,
        "POST /v1/resellers/{resellerId}/number-blocks/{blockId}/reclaim": .platform,
        "POST /v1/resellers/{resellerId}/sim-batches": .platform,
        "GET /v1/resellers/{resellerId}/sim-batches": .platform,
        "POST /v1/resellers/{resellerId}/sim-batches/{batchId}/reclaim": .platform,
        "GET /v1/platform/inventory": .platform,
        "GET /v1/numbers": .directory,
        "GET /v1/sims": .directory,

        // Brands: the reseller's own; the platform reads them for support and verifies hostnames by hand.
        "GET /v1/brand": .reseller,
        "PUT /v1/brand": .reseller,
        "PUT /v1/brand/logo": .reseller,
        "DELETE /v1/brand/logo": .reseller,
        "POST /v1/brand/hostnames/{hostname}/check": .reseller,
        "GET /v1/resellers/{resellerId}/brand": .platform,
        "POST /v1/resellers/{resellerId}/hostnames/{hostname}/verify": .platform,

        "GET /v1/dpa": .reseller,
        "POST /v1/dpa/acceptances": .reseller,
        "POST /v1/customers": .reseller,
        // The platform sees tenant metadata only (the repository narrows its columns).
        "GET /v1/customers": .roles([.platform, .reseller, .customer]),
        "GET /v1/customers/{customerId}": .roles([.platform, .reseller, .customer]),
        "PATCH /v1/customers/{customerId}": .reseller,
        "POST /v1/customers/{customerId}/terminate": .reseller,
        "POST /v1/customers/{customerId}/reactivate": .reseller,
        "POST /v1/customers/{customerId}/managers": .reseller,

        "POST /v1/customers/{customerId}/employees": .directory,
        "GET /v1/customers/{customerId}/employees": .directory,
        "GET /v1/employees/{employeeId}": .directory,
        "PATCH /v1/employees/{employeeId}": .directory,
        "DELETE /v1/employees/{employeeId}": .directory,
        "POST /v1/employees/{employeeId}/numbers": .directory,
        "DELETE /v1/employees/{employeeId}/numbers/{assignmentId}": .directory,
        "POST /v1/employees/{employeeId}/sims": .directory,
        "DELETE /v1/employees/{employeeId}/sims/{assignmentId}": .directory,
        "POST /v1/employees/{employeeId}/fax-to-mail": .directory,
        "DELETE /v1/employees/{employeeId}/fax-to-mail/{assignmentId}": .directory,
        "POST /v1/employees/{employeeId}/offboard": .directory,
        "GET /v1/employees/{employeeId}/scheduled-anonymisation": .directory,
        "DELETE /v1/employees/{employeeId}/scheduled-anonymisation": .directory,
        "POST /v1/employees/{employeeId}/move": .directory,
        "POST /v1/customers/{customerId}/employees/import": .directory,
        "GET /v1/customers/{customerId}/employees/export.csv": .directory,
        "POST /v1/employees/{employeeId}/restriction": .directory,
        "DELETE /v1/employees/{employeeId}/restriction": .directory,
        "POST /v1/employees/{employeeId}/anonymise": .directory,
        "GET /v1/employees/{employeeId}/export": .directory,
        "GET /v1/employees/{employeeId}/content": .directory,
        "GET /v1/employees/{employeeId}/content/{contentId}": .directory,
        "PUT /v1/employees/{employeeId}/picture": .directory,
        // The telephony platform stores content and does nothing else.
        "POST /v1/telephony/employees/{employeeId}/content": .roles([.telephony]),

        "POST /v1/platform/cdrs": .platform,
        "GET /v1/platform/cdrs": .platform,
        "POST /v1/platform/telemetry": .platform,
        "GET /v1/platform/analytics/traffic": .platform,
        "GET /v1/usage": .roles([.reseller, .customer]),

        // Fraud: the platform's operators keep the prefix table and the rules and handle alerts; the reseller reads its own.
        "GET /v1/platform/destination-prefixes": .platform,
        "PUT /v1/platform/destination-prefixes/{prefixDigits}": .platform,
        "DELETE /v1/platform/destination-prefixes/{prefixDigits}": .platform,
        "GET /v1/platform/fraud-rules": .platform,
        "PUT /v1/platform/fraud-rules/{rule}": .platform,
        "PUT /v1/platform/fraud-rules/{rule}/resellers/{resellerId}": .platform,
        "DELETE /v1/platform/fraud-rules/{rule}/resellers/{resellerId}": .platform,
        "POST /v1/platform/fraud-rules/{rule}/dry-run": .platform,
        "GET /v1/platform/fraud-alerts": .platform,
        "POST /v1/platform/fraud-alerts/{alertId}/acknowledge": .platform,
        "POST /v1/platform/fraud-alerts/{alertId}/resolve": .platform,
        "GET /v1/fraud-alerts": .reseller,

        // Lawful disclosure: legal reviewers only, as people; never a tenant.
        "POST /v1/platform/disclosures": .legal,
        "GET /v1/platform/disclosures": .legal,
        "GET /v1/platform/disclosures/{disclosureId}": .legal,
        "POST /v1/platform/disclosures/{disclosureId}/approve": .legal,
        "POST /v1/platform/disclosures/{disclosureId}/refuse": .legal,
        "GET /v1/platform/disclosures/{disclosureId}/export": .legal,

        // Each sees its own rules and runs (the repository answers per role).
        "GET /v1/retention-policy": .roles([.platform, .reseller]),
        "PUT /v1/retention-policy/voicemails": .reseller,
        "GET /v1/retention-runs": .roles([.platform, .reseller]),

        // Data-subject requests are processor scope: the reseller and the company's managers.
        "POST /v1/data-subject-requests": .directory,
        "GET /v1/data-subject-requests": .directory,
        "GET /v1/data-subject-requests/{requestId}": .directory,
        "POST /v1/data-subject-requests/{requestId}/extension": .directory,
        "POST /v1/data-subject-requests/{requestId}/start": .directory,
        "POST /v1/data-subject-requests/{requestId}/refuse": .directory,
        "POST /v1/data-subject-requests/{requestId}/withdraw": .directory,
        "POST /v1/data-subject-requests/{requestId}/fulfil": .directory,
        "POST /v1/data-subject-requests/{requestId}/traffic-data": .directory,
        // The platform counts per reseller; the others per customer.
        "GET /v1/data-subject-request-counts": .roles([.platform, .reseller, .customer]),
        // The platform answers for its own controller data, seeing numbers and periods only.
        "GET /v1/platform/traffic-data-requests": .roles([.platform], duties: [.operator, .legal]),
        "POST /v1/platform/traffic-data-requests/{trafficRequestId}/answer": .roles([.platform], duties: [.operator, .legal]),
        // Anyone may verify a receipt, so the public keys need no credential.
        "GET /v1/receipts/public-key": .open,
        "GET /v1/receipts/{receiptId}": .directory,
        "GET /v1/audit-events": .roles([.platform, .reseller, .customer], duties: Set(PlatformDuty.allCases)),
        "GET /v1/processing-records": .reseller,
        "GET /v1/sub-processors": .roles([.platform, .reseller, .customer], duties: Set(PlatformDuty.allCases)),
        "POST /v1/platform/sub-processors": .platform,
        "POST /v1/platform/sub-processors/{subProcessorId}/withdrawal": .platform,
        "POST /v1/webhooks": .reseller,
        "GET /v1/webhooks": .reseller,
        "GET /v1/webhooks/{webhookId}": .reseller,
        "DELETE /v1/webhooks/{webhookId}": .reseller,
        "GET /v1/webhooks/{webhookId}/deliveries": .reseller,
        "POST /v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver": .reseller,

        // Settlement: the platform issues and corrects; a reseller reads its own statements (managers none).
        // The platform's side is finance's (its people with that duty, and its keys).
        "POST /v1/platform/statements": .finance,
        "POST /v1/platform/statements/{statementId}/notes": .finance,
        "GET /v1/statements": .roles([.platform, .reseller], duties: [.finance]),
        "GET /v1/statements/{statementId}": .roles([.platform, .reseller], duties: [.finance]),
        "GET /v1/platform/price-list": .finance,
        "PUT /v1/platform/price-list": .finance,
    ]

    static func key(_ method: HTTPRequest.Method, _ pathTemplate: String) -> String {
        "\(method.rawValue) \(pathTemplate)"
    }

    /// Whether `principal` may call the operation; nobody's transaction for an open operation.
    func admits(_ principal: Principal) -> Bool {
        guard case .admits(let roles, let duties) = self, roles.contains(principal.role) else { return false }
        return principal.role != .platform || !principal.duties.isDisjoint(with: duties)
    }

    /// 403 for a principal the operation does not admit.
    func refusal(for principal: Principal) -> Problem {
        if case .admits(let roles, let duties) = self, roles.contains(principal.role), principal.role == .platform {
            let needed = duties.sorted().map(\.rawValue).joined(separator: " or ")
            let holder = principal.kind == .apiKey ? "A platform API key does not hold it." : "Your account does not hold it."
            return Problem.forbidden("This operation needs the platform's \(needed) duty. \(holder)")
        }
        return Problem.forbidden("This operation is not available to the \(principal.role.rawValue) role.")
    }
}

/// A route the generated code registers that ``OperationAccess/byRoute`` does not list.
struct OperationAccessMissing: Error, CustomStringConvertible {
    let route: String
    var description: String { "No access rule for \(route): add it to OperationAccess.byRoute." }
}
