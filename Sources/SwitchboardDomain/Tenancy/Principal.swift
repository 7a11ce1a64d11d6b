import Foundation

/// Who is making a request: exactly one role and the tenant ids that role is bound to.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case apiKey = "api_key"
        case session
        /// The server itself acting on a tenant's standing instruction (a scheduled anonymisation).
        case system
    }

    public let id: UUID
    public let kind: Kind
    public let role: Role
    public let resellerID: UUID?
    public let customerID: UUID?
    /// The session a person's token belongs to (so it can be ended).
    public let sessionID: UUID?
    /// What a platform principal may do: a staff member's own duties, a platform key's
    /// ``PlatformDuty/machineDuties``; empty for every other role.
    public let duties: Set<PlatformDuty>

    public init(id: UUID, kind: Kind, role: Role, resellerID: UUID? = nil, customerID: UUID? = nil, sessionID: UUID? = nil, duties: Set<PlatformDuty> = []) {
        self.id = id
        self.kind = kind
        self.role = role
        self.resellerID = resellerID
        self.customerID = customerID
        self.sessionID = sessionID
        self.duties = role == .platform ? duties : []
    }

    public static func platformKey(_ id: UUID) -> Principal {
        Principal(id: id, kind: .apiKey, role: .platform, duties: PlatformDuty.machineDuties)
    }

    /// A person of the platform's staff, signed in: platform rights limited to their duties.
    public static func staff(_ id: UUID, duties: Set<PlatformDuty>, session: UUID) -> Principal {
        Principal(id: id, kind: .session, role: .platform, sessionID: session, duties: duties)
    }

    /// A person (a manager or platform staff) rather than a machine or the server itself.
    public var isPerson: Bool { kind == .session }

    public static func resellerKey(_ id: UUID, reseller: UUID) -> Principal {
        Principal(id: id, kind: .apiKey, role: .reseller, resellerID: reseller)
    }

    public static func telephonyKey(_ id: UUID) -> Principal {
        Principal(id: id, kind: .apiKey, role: .telephony)
    }

    /// The scheduled-duty runner acting in one reseller's scope (with that reseller's rights, and
    /// audited as `system`); its id is fixed so the trail shows every such act as the same actor.
    public static func scheduledDuty(reseller: UUID) -> Principal {
        Principal(id: scheduledDutyID, kind: .system, role: .reseller, resellerID: reseller)
    }

    public static let scheduledDutyID = UUID(uuidString: "00000000-0000-0000-0000-00000000d07e")!

    /// The server acting as the platform on its own checks (a hostname's DNS record was found):
    /// platform rights, audited as `system` under a fixed id.
    public static let platformDuty = Principal(id: platformDutyID, kind: .system, role: .platform, duties: PlatformDuty.machineDuties)

    public static let platformDutyID = UUID(uuidString: "00000000-0000-0000-0000-00000000d07f")!

    public static func manager(_ id: UUID, reseller: UUID, customer: UUID, session: UUID) -> Principal {
        Principal(id: id, kind: .session, role: .customer, resellerID: reseller, customerID: customer, sessionID: session)
    }
}
