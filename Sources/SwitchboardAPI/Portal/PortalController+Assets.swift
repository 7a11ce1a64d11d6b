internal import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardDomain
import SwitchboardStore

/// The style sheet (the shared rules plus the brand's colours) and the brand's logo. Both are
/// addressed with the brand's version, so a browser may keep them until the brand changes.
extension PortalController {
    func styleSheet(_ request: Request) async throws -> Response {
        let palette: BrandPalette
        do {
            let visit = try await visit(request)
            palette = BrandPalette(primary: visit.brand.primaryColor, accent: visit.brand.accentColor)
        } catch PortalOutcome.neutral {
            palette = BrandPalette(primary: BrandColor(red: 0x3a, green: 0x3f, blue: 0x47), accent: BrandColor(red: 0x3a, green: 0x3f, blue: 0x47))
        }
        let variables = """
            :root{--primary:\(palette.primary);--on-primary:\(palette.textOnPrimary);--accent:\(palette.accent);\
            --on-accent:\(palette.textOnAccent);--link:\(palette.link);}

            """
        return cached(ByteBuffer(string: variables + baseStyleSheet), contentType: "text/css; charset=utf-8")
    }

    func logo(_ request: Request) async throws -> Response {
        guard let host = Self.host(of: request) else { throw PortalOutcome.neutral }
        let logo = try await database.transaction(.authenticator(credentialHash: nil, loginEmail: nil), logger: logger) { connection in
            try await BrandRepository(connection, logger: logger).portalLogo(host: host)
        }
        guard let logo else { throw PortalOutcome.neutral }
        return cached(ByteBuffer(bytes: logo.bytes), contentType: logo.mediaType)
    }

    private func cached(_ body: ByteBuffer, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        PortalResponse.secure(&headers)
        headers[.cacheControl] = "private, max-age=86400"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
