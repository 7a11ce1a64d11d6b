import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Brands and their portal hostnames. The reseller writes its own (its policies scope every
/// statement), the platform reads them and marks hostnames verified, and the portal resolves a
/// verified hostname to what it shows through `sb.portal_brand` before anyone has signed in.
public struct BrandRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    static let columns = """
        reseller_id, display_name, primary_color, accent_color, support_email, support_phone, support_url,
        default_language, logo_media_type, logo_width, logo_height, octet_length(logo), version, updated_at
        """

    /// The brand of `resellerID` with its hostnames; nil if none was set (or the caller may not see it).
    public func get(_ resellerID: UUID) async throws -> BrandRecord? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM sb.brands WHERE reseller_id = \(resellerID)", logger: logger
        )
        guard var brand = try await Self.decode(rows).first else { return nil }
        brand.hostnames = try await hostnames(of: resellerID)
        return brand
    }

    /// Creates or replaces the brand. Hostnames no longer listed are dropped (with their
    /// verification); new ones get a fresh verification token; kept ones keep theirs.
    public func save(_ resellerID: UUID, _ settings: BrandSettings) async throws -> (brand: BrandRecord, added: [String], removed: [String]) {
        let rows = try await connection.query(
            """
            INSERT INTO sb.brands (reseller_id, display_name, primary_color, accent_color, support_email, support_phone, support_url, default_language, updated_at)
            VALUES (\(resellerID), \(settings.displayName), \(settings.primaryColor.description), \(settings.accentColor.description),
                    \(settings.supportEmail), \(settings.supportPhone), \(settings.supportURL), \(settings.defaultLanguage.rawValue), now())
            ON CONFLICT (reseller_id) DO UPDATE SET
                display_name = excluded.display_name, primary_color = excluded.primary_color, accent_color = excluded.accent_color,
                support_email = excluded.support_email, support_phone = excluded.support_phone, support_url = excluded.support_url,
                default_language = excluded.default_language, version = sb.brands.version + 1, updated_at = excluded.updated_at
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        guard var brand = try await Self.decode(rows).first else { throw StoreError.refusedByPolicy }
        let wanted = settings.hostnames.map(\.value)
        let removed = try await connection.query(
            "DELETE FROM sb.brand_hostnames WHERE reseller_id = \(resellerID) AND NOT (hostname = ANY(\(wanted))) RETURNING hostname",
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        try await connection.query(
            "DELETE FROM sb.hostname_registry WHERE reseller_id = \(resellerID) AND hostname = ANY(\(removed))", logger: logger
        )
        // The platform-wide claim first: one another reseller holds breaks the registry's primary
        // key (409). Hostnames this reseller already holds are skipped (the policy shows only its own).
        let held = Set(try await connection.query(
            "SELECT hostname FROM sb.hostname_registry WHERE reseller_id = \(resellerID) AND hostname = ANY(\(wanted))", logger: logger
        ).collect().map { try $0.decode(String.self) })
        try await MultiRowInsert(table: "sb.hostname_registry", columns: ["hostname", "reseller_id"])
            .run(wanted.filter { !held.contains($0) }, on: connection, logger: logger) { hostname, row in
                row.append(hostname)
                row.append(resellerID)
            }
        // One statement for every new hostname: those kept skip the insert (and keep their token).
        let added = try await MultiRowInsert(
            table: "sb.brand_hostnames", columns: ["reseller_id", "hostname", "verification_token"],
            suffix: "ON CONFLICT (reseller_id, hostname) DO NOTHING RETURNING hostname"
        ).run(wanted, on: connection, logger: logger) { hostname, row in
            row.append(resellerID)
            row.append(hostname)
            row.append(Credentials.randomToken())
        }.map { try $0.decode(String.self) }
        brand.hostnames = try await hostnames(of: resellerID)
        return (brand, added.sorted(), removed.sorted())
    }

    /// Stores a validated logo; nil when the reseller has no brand yet.
    public func setLogo(_ resellerID: UUID, _ logo: LogoImage) async throws -> BrandRecord? {
        let rows = try await connection.query(
            """
            UPDATE sb.brands SET logo = \(Data(logo.bytes)), logo_media_type = \(logo.mediaType), logo_width = \(logo.width),
                logo_height = \(logo.height), version = version + 1, updated_at = now()
            WHERE reseller_id = \(resellerID)
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        guard var brand = try await Self.decode(rows).first else { return nil }
        brand.hostnames = try await hostnames(of: resellerID)
        return brand
    }

    public func removeLogo(_ resellerID: UUID) async throws {
        try await connection.query(
            """
            UPDATE sb.brands SET logo = NULL, logo_media_type = NULL, logo_width = NULL, logo_height = NULL,
                version = version + 1, updated_at = now()
            WHERE reseller_id = \(resellerID)
            """,
            logger: logger
        )
    }

    public func hostnames(of resellerID: UUID) async throws -> [BrandHostnameRecord] {
        let rows = try await connection.query(
            """
            SELECT reseller_id, hostname, verification_token, added_at, verified_at, verified_how
            FROM sb.brand_hostnames WHERE reseller_id = \(resellerID) ORDER BY hostname
            """,
            logger: logger
        )
        var records: [BrandHostnameRecord] = []
        for try await row in rows.decode((UUID, String, String, Date, Date?, String?).self) {
            records.append(BrandHostnameRecord(resellerID: row.0, hostname: row.1, verificationToken: row.2, addedAt: row.3, verifiedAt: row.4, verifiedHow: row.5))
        }
        return records
    }

    /// Marks a hostname verified (the platform's act: by the DNS check or by hand). Verifying
    /// again keeps the first verification. Nil when the reseller has not claimed it.
    public func markVerified(_ resellerID: UUID, hostname: String, by verifier: UUID, how: String) async throws -> (record: BrandHostnameRecord, changed: Bool)? {
        let rows = try await connection.query(
            """
            UPDATE sb.brand_hostnames SET verified_at = now(), verified_by = \(verifier), verified_how = \(how)
            WHERE reseller_id = \(resellerID) AND hostname = \(hostname) AND verified_at IS NULL
            RETURNING reseller_id, hostname, verification_token, added_at, verified_at, verified_how
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, String, String, Date, Date?, String?).self) {
            return (BrandHostnameRecord(resellerID: row.0, hostname: row.1, verificationToken: row.2, addedAt: row.3, verifiedAt: row.4, verifiedHow: row.5), true)
        }
        guard let current = try await hostnames(of: resellerID).first(where: { $0.hostname == hostname }) else { return nil }
        return (current, false)
    }

    /// The brand a verified hostname of an active reseller selects, as the portal shows it.
    public func portalBrand(host: String) async throws -> PortalBrand? {
        let rows = try await connection.query(
            """
            SELECT reseller_id, display_name, primary_color, accent_color, support_email, support_phone, support_url,
                   default_language, logo_media_type IS NOT NULL, version
            FROM sb.portal_brand(\(host))
            """,
            logger: logger
        )
        for try await row in rows.decode((UUID, String, String, String, String?, String?, String?, String, Bool, Int).self) {
            guard let primary = BrandColor(hex: row.2), let accent = BrandColor(hex: row.3) else { return nil }
            return PortalBrand(resellerID: row.0, displayName: row.1, primaryColor: primary, accentColor: accent, supportEmail: row.4,
                               supportPhone: row.5, supportURL: row.6, defaultLanguage: PortalLanguage(rawValue: row.7) ?? .danish,
                               hasLogo: row.8, version: row.9)
        }
        return nil
    }

    public func portalLogo(host: String) async throws -> BrandLogo? {
        let rows = try await connection.query("SELECT logo, logo_media_type, version FROM sb.portal_logo(\(host))", logger: logger)
        for try await row in rows.decode((Data, String, Int).self) {
            return BrandLogo(bytes: Array(row.0), mediaType: row.1, version: row.2)
        }
        return nil
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [BrandRecord] {
        var records: [BrandRecord] = []
        for try await row in rows {
            var columns = RowColumns(row)
            let record = try BrandRecord(
                resellerID: columns.next(), displayName: columns.next(), primaryColor: columns.next(), accentColor: columns.next(),
                supportEmail: columns.next(), supportPhone: columns.next(), supportURL: columns.next(), defaultLanguage: columns.next(),
                logoMediaType: columns.next(), logoWidth: columns.next(), logoHeight: columns.next(), logoBytes: columns.next(), version: columns.next(),
                updatedAt: columns.next(), hostnames: []
            )
            try columns.finish()
            records.append(record)
        }
        return records
    }
}
