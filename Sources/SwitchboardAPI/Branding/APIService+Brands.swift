internal import Foundation
import Logging
internal import OpenAPIRuntime
import SwitchboardDomain
import SwitchboardStore

/// Resellers' brands (controller scope) and the hostnames their managers' portal serves on.
/// The platform reads brands for support and verifies hostnames; it changes nothing else.
extension APIService {
    package func getBrand(_ input: Operations.GetBrand.Input) async throws -> Operations.GetBrand.Output {
        let brand = try await transaction { principal, connection in
            try await BrandRepository(connection, logger: logger).get(principal.resellerID!)
        }
        guard let brand else { throw Problem.notFound("No brand yet: set it with PUT /v1/brand.") }
        return .ok(.init(body: .json(.init(brand))))
    }

    package func putBrand(_ input: Operations.PutBrand.Input) async throws -> Operations.PutBrand.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let settings = try Self.brandSettings(body)
        let brand = try await transaction { principal, connection in
            let resellerID = principal.resellerID!
            let brands = BrandRepository(connection, logger: logger)
            let before = try await brands.get(resellerID)
            let saved = try await brands.save(resellerID, settings)
            var fields = Self.changedFields(before, saved.brand)
            if !saved.added.isEmpty || !saved.removed.isEmpty { fields.append("hostnames") }
            try await AuditLog.append(AuditEntry(action: before == nil ? "brand.create" : "brand.update", targetID: resellerID, fields: fields, resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
            return saved.brand
        }
        return .ok(.init(body: .json(.init(brand))))
    }

    package func putBrandLogo(_ input: Operations.PutBrandLogo.Input) async throws -> Operations.PutBrandLogo.Output {
        let (declaredType, body): (String, HTTPBody) = switch input.body {
        case .png(let body): ("image/png", body)
        case .jpeg(let body): ("image/jpeg", body)
        }
        let bytes = try await Self.collect(body, upTo: LogoImage.maxBytes)
        let logo = try LogoImage.validate(bytes, declaredType: declaredType)
        let brand = try await transaction { principal, connection in
            let resellerID = principal.resellerID!
            guard let brand = try await BrandRepository(connection, logger: logger).setLogo(resellerID, logo) else {
                throw Problem.conflict("Set the brand with PUT /v1/brand before its logo.", type: "no-brand")
            }
            try await AuditLog.append(AuditEntry(action: "brand.logo_set", targetID: resellerID, fields: ["logo"], resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
            return brand
        }
        return .ok(.init(body: .json(.init(brand))))
    }

    package func deleteBrandLogo(_ input: Operations.DeleteBrandLogo.Input) async throws -> Operations.DeleteBrandLogo.Output {
        try await transaction { principal, connection in
            let resellerID = principal.resellerID!
            let brands = BrandRepository(connection, logger: logger)
            guard let brand = try await brands.get(resellerID) else { throw Problem.notFound("No brand yet: set it with PUT /v1/brand.") }
            guard brand.logoMediaType != nil else { return }
            try await brands.removeLogo(resellerID)
            try await AuditLog.append(AuditEntry(action: "brand.logo_remove", targetID: resellerID, fields: ["logo"], resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
        }
        return .noContent(.init())
    }

    /// Looks the TXT record up outside any transaction (a slow nameserver holds no connection),
    /// then lets the platform mark the hostname verified in its own scope.
    package func checkBrandHostname(_ input: Operations.CheckBrandHostname.Input) async throws -> Operations.CheckBrandHostname.Output {
        let hostname = try Self.hostname(input.path.hostname)
        let (principal, claimed) = try await transaction { principal, connection in
            (principal, try await BrandRepository(connection, logger: logger).hostnames(of: principal.resellerID!).first { $0.hostname == hostname.value })
        }
        guard let claimed else { throw Problem.notFound("This hostname is not one of the brand's hostnames.") }
        guard claimed.verifiedAt == nil else { return .ok(.init(body: .json(.init(claimed)))) }
        let records: [String]
        do {
            records = try await hostnameResolver.txtRecords(named: hostname.verificationRecordName)
        } catch {
            logger.warning("hostname check: DNS lookup failed", metadata: ["error": "\(error)"])
            throw Problem.serviceUnavailable("No nameserver answered the TXT lookup in time; try again later.")
        }
        let expected = BrandHostnameVerification.recordValue(token: claimed.verificationToken)
        guard records.contains(where: { $0.trimmingCharacters(in: .whitespaces) == expected }) else {
            return .ok(.init(body: .json(.init(claimed))))
        }
        let duty = Principal.platformDuty
        let verified = try await transaction(duty) { connection in
            guard let result = try await BrandRepository(connection, logger: logger).markVerified(principal.resellerID!, hostname: hostname.value, by: duty.id, how: "dns")
            else { throw Problem.notFound("This hostname is not one of the brand's hostnames.") }
            if result.changed {
                try await AuditLog.append(AuditEntry(action: "brand.hostname_verified_by_dns", targetID: principal.resellerID, fields: ["hostnames"], resellerID: principal.resellerID),
                                          by: duty, on: connection, logger: logger)
            }
            return result.record
        }
        return .ok(.init(body: .json(.init(verified))))
    }

    package func getResellerBrand(_ input: Operations.GetResellerBrand.Input) async throws -> Operations.GetResellerBrand.Output {
        let brand = try await transaction { principal, connection in
            let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
            return try await BrandRepository(connection, logger: logger).get(resellerID)
        }
        guard let brand else { throw Problem.notFound("No such reseller, or it has not set a brand.") }
        return .ok(.init(body: .json(.init(brand))))
    }

    package func verifyResellerHostname(_ input: Operations.VerifyResellerHostname.Input) async throws -> Operations.VerifyResellerHostname.Output {
        let record = try await transaction { principal, connection in
            let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
            let hostname = try Self.hostname(input.path.hostname)
            guard let result = try await BrandRepository(connection, logger: logger).markVerified(resellerID, hostname: hostname.value, by: principal.id, how: "platform")
            else { throw Problem.notFound("This reseller has not claimed this hostname.") }
            if result.changed {
                try await AuditLog.append(AuditEntry(action: "brand.hostname_verified_by_platform", targetID: resellerID, fields: ["hostnames"], resellerID: resellerID),
                                          by: principal, on: connection, logger: logger)
            }
            return result.record
        }
        return .ok(.init(body: .json(.init(record))))
    }

    // MARK: input

    static let maxHostnames = 10

    static func brandSettings(_ body: Components.Schemas.BrandSettings) throws -> BrandSettings {
        var validator = Validator()
        let displayName = validator.text(body.displayName, field: "displayName", maxLength: 100)
        let primary = color(body.primaryColor, field: "primaryColor", validator: &validator)
        let accent = color(body.accentColor, field: "accentColor", validator: &validator)
        let supportEmail = body.supportEmail.flatMap { $0.isEmpty ? nil : validator.email($0, field: "supportEmail") }
        let supportPhone = body.supportPhone.flatMap { $0.isEmpty ? nil : validator.phone($0, field: "supportPhone") }
        var supportURL: String?
        if let raw = body.supportUrl, !raw.isEmpty, let url = validator.text(raw, field: "supportUrl", maxLength: 500) {
            if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false {
                supportURL = url
            } else {
                validator.add(.init(field: "supportUrl", rule: "format", message: "must be an http or https URL"))
            }
        }
        var hostnames: [Hostname] = []
        if body.hostnames.count > maxHostnames {
            validator.add(.init(field: "hostnames", rule: "maxItems", message: "must list at most \(maxHostnames) hostnames"))
        } else {
            for (index, raw) in body.hostnames.enumerated() {
                guard let hostname = Hostname(raw) else {
                    validator.add(.init(field: "hostnames[\(index)]", rule: "format", message: "must be a DNS hostname such as portal.example.com (no port, no IP address)"))
                    continue
                }
                if !hostnames.contains(hostname) { hostnames.append(hostname) }
            }
        }
        try validator.finish()
        return BrandSettings(displayName: displayName!, primaryColor: primary!, accentColor: accent!, supportEmail: supportEmail, supportPhone: supportPhone,
                             supportURL: supportURL, defaultLanguage: body.defaultLanguage == .da ? .danish : .english, hostnames: hostnames)
    }

    private static func color(_ value: String, field: String, validator: inout Validator) -> BrandColor? {
        guard let color = BrandColor(hex: value) else {
            validator.add(.init(field: field, rule: "format", message: "must be a colour as #rrggbb"))
            return nil
        }
        return color
    }

    static func hostname(_ value: String) throws -> Hostname {
        guard let hostname = Hostname(value) else {
            throw Problem.badRequest("hostname must be a DNS hostname.", errors: [.init(field: "hostname", rule: "format", message: "must be a DNS hostname")])
        }
        return hostname
    }

    /// The names of the brand's fields a save changed (never their values).
    static func changedFields(_ before: BrandRecord?, _ after: BrandRecord) -> [String] {
        let fields: [(String, (BrandRecord) -> String?)] = [
            ("displayName", { $0.displayName }), ("primaryColor", { $0.primaryColor }), ("accentColor", { $0.accentColor }),
            ("supportEmail", { $0.supportEmail }), ("supportPhone", { $0.supportPhone }), ("supportUrl", { $0.supportURL }),
            ("defaultLanguage", { $0.defaultLanguage }),
        ]
        return fields.filter { _, value in before.map(value) ?? nil != value(after) }.map(\.0)
    }
}
