internal import Foundation
import SwitchboardDomain
import SwitchboardStore

/// Store records as the contract's response bodies.
extension Components.Schemas.Reseller {
    init(_ record: ResellerRecord) {
        self.init(
            id: record.id.apiString,
            name: record.name,
            status: { switch record.status { case .active: .active; case .suspended: .suspended } }(),
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
            status: { switch record.status { case .active: .active; case .terminated: .terminated } }(),
            terminatedAt: record.terminatedAt,
            purgeAfter: record.purgedAt == nil ? record.terminatedAt.map { $0.addingTimeInterval(TimeInterval(RetentionPeriod.terminatedCustomerDays) * 86_400) } : nil,
            purgedAt: record.purgedAt,
            extensionLength: record.extensionMinLength.flatMap { min in record.extensionMaxLength.map { .init(min: min, max: $0) } },
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

extension Components.Schemas.Employee {
    init(_ record: EmployeeRecord) {
        self.init(
            id: record.id.apiString, customerId: record.customerID.apiString, fullName: record.fullName, email: record.email,
            mobile: record.mobile, _extension: record.extensionNumber,
            directoryListing: { switch record.directoryListing { case .listed: .listed; case .unlisted: .unlisted } }(), marketingConsent: record.marketingConsent,
            restricted: record.restrictedAt != nil, restrictionReason: record.restrictionReason, anonymised: record.anonymisedAt != nil,
            numbers: record.numbers.map { .init(id: $0.id.apiString, value: $0.value, assignedAt: $0.assignedAt) },
            sims: record.sims.map { .init(id: $0.id.apiString, value: $0.value, assignedAt: $0.assignedAt) },
            faxToMail: record.faxToMail.map { .init(id: $0.id.apiString, faxNumber: $0.faxNumber, deliveryEmail: $0.deliveryEmail, createdAt: $0.createdAt) },
            createdAt: record.createdAt, updatedAt: record.updatedAt
        )
    }
}

extension Components.Schemas.ContentItem {
    init(_ item: ContentItem, employeeID: UUID) {
        self.init(
            id: item.id.apiString, kind: { switch item.kind { case .voicemail: .voicemail; case .greeting: .greeting; case .recording: .recording; case .picture: .picture } }(), contentType: item.contentType, byteSize: item.byteSize,
            callerNumber: item.callerNumber, durationSeconds: item.durationSeconds, recordedAt: item.recordedAt,
            download: "/v1/employees/\(employeeID.apiString)/content/\(item.id.apiString)"
        )
    }
}

extension Components.Schemas.PreferenceChange {
    init(_ change: PreferenceChange) {
        self.init(
            preference: .init(rawValue: change.preference) ?? .directoryListing, value: change.value,
            changedBy: change.changedBy.apiString, changedByRole: change.changedByRole, changedAt: change.changedAt,
            sequence: change.sequence
        )
    }
}
