package import Foundation
import SwitchboardStore

/// Store records as the contract's response bodies.
extension Components.Schemas.Reseller {
    init(_ record: ResellerRecord) {
        self.init(
            id: record.id.apiString,
            name: record.name,
            status: .init(rawValue: record.status) ?? .active,
            contact: .init(name: record.contactName, email: record.contactEmail, phone: record.contactPhone),
            createdAt: record.createdAt,
            updatedAt: record.updatedAt
        )
    }
}

extension Components.Schemas.Customer {
    init(_ record: CustomerRecord) {
        self.init(
            id: record.id.apiString,
            resellerId: record.resellerID.apiString,
            name: record.name,
            cvr: record.cvr,
            externalRef: record.externalRef,
            status: .init(rawValue: record.status) ?? .active,
            terminatedAt: record.terminatedAt,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt
        )
    }
}

extension Components.Schemas.ApiKey {
    init(_ record: APIKeyRecord) {
        self.init(
            id: record.id.apiString, resellerId: record.resellerID?.apiString, name: record.name, prefix: record.displayPrefix,
            createdAt: record.createdAt, lastUsedAt: record.lastUsedAt, revokedAt: record.revokedAt
        )
    }
}

extension Components.Schemas.NewApiKey {
    init(_ record: APIKeyRecord, secret: String) {
        self.init(
            id: record.id.apiString, resellerId: record.resellerID?.apiString, name: record.name, prefix: record.displayPrefix,
            createdAt: record.createdAt, secret: secret
        )
    }
}

extension Components.Schemas.DpaStatus {
    init(_ status: DPAStatus) {
        self.init(currentVersion: status.currentVersion, accepted: status.acceptedAt != nil, acceptedAt: status.acceptedAt)
    }
}

extension Components.Schemas.Manager {
    init(_ record: ManagerRecord) {
        self.init(
            id: record.id.apiString, customerId: record.customerID.apiString, email: record.email,
            fullName: record.fullName, createdAt: record.createdAt
        )
    }
}
