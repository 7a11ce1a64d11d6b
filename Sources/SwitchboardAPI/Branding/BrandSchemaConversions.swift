import SwitchboardDomain
import SwitchboardStore

extension Components.Schemas.Brand {
    init(_ record: BrandRecord) {
        let primary = BrandColor(hex: record.primaryColor) ?? .black
        let accent = BrandColor(hex: record.accentColor) ?? .black
        let derived = BrandPalette(primary: primary, accent: accent)
        self.init(
            resellerId: record.resellerID.apiString, displayName: record.displayName, primaryColor: record.primaryColor,
            accentColor: record.accentColor, supportEmail: record.supportEmail, supportPhone: record.supportPhone, supportUrl: record.supportURL,
            defaultLanguage: record.defaultLanguage == "en" ? .en : .da,
            hostnames: record.hostnames.map(\.hostname),
            hostnameVerifications: record.hostnames.map { .init($0) },
            derivedColors: .init(textOnPrimary: derived.textOnPrimary.description, textOnAccent: derived.textOnAccent.description,
                                 link: derived.link.description, accentCorrected: derived.link != accent),
            logo: record.logoMediaType.map { type in
                .init(mediaType: type == "image/png" ? .imagePng : .imageJpeg, width: record.logoWidth ?? 0, height: record.logoHeight ?? 0, bytes: record.logoBytes ?? 0)
            },
            updatedAt: record.updatedAt
        )
    }
}

extension Components.Schemas.BrandHostname {
    init(_ record: BrandHostnameRecord) {
        self.init(
            hostname: record.hostname, verified: record.verifiedAt != nil, verifiedAt: record.verifiedAt, verifiedBy: record.verifiedHow,
            verification: .init(txtRecordName: Hostname(record.hostname)?.verificationRecordName ?? "_portal-verification." + record.hostname,
                                txtRecordValue: BrandHostnameVerification.recordValue(token: record.verificationToken))
        )
    }
}
