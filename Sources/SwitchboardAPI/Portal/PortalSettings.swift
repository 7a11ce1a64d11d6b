/// How the managers' portal runs.
package struct PortalSettings: Sendable {
    /// Cookies without `Secure`, so a browser keeps them over plain HTTP: for local trials only
    /// (`SWITCHBOARD_INSECURE_COOKIES=true`); in production the portal is served over HTTPS.
    package var insecureCookies: Bool

    package init(insecureCookies: Bool = false) {
        self.insecureCookies = insecureCookies
    }
}
