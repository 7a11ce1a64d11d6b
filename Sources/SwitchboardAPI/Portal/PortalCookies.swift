import Hummingbird

/// The portal's cookies: neutral names (nothing of the product), `HttpOnly`, `SameSite=Strict`,
/// `Path=/`, and `Secure` with the `__Host-` prefix unless the operator allows plain HTTP for a
/// local trial (then the browser would refuse a `__Host-` cookie, so the bare name is used).
struct PortalCookies: Sendable {
    let secure: Bool

    var sessionName: String { secure ? "__Host-session" : "session" }
    var signInName: String { secure ? "__Host-signin" : "signin" }
    static let languageName = "lang"

    func session(_ token: String, maxAge: Int) -> Cookie { cookie(sessionName, token, maxAge: maxAge) }
    func endSession() -> Cookie { cookie(sessionName, "", maxAge: 0) }
    func signIn(_ token: String) -> Cookie { cookie(signInName, token, maxAge: 3600) }
    func endSignIn() -> Cookie { cookie(signInName, "", maxAge: 0) }
    func language(_ code: String) -> Cookie { cookie(Self.languageName, code, maxAge: 365 * 24 * 3600) }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
