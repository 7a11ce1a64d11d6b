import Crypto
internal import Foundation

/// The token every state-changing portal form carries. For a signed-in manager it is derived from
/// the session token (an HMAC, so it needs no storage, changes with every session, and cannot be
/// computed by a page that cannot read the `HttpOnly` cookie); before sign-in it is the random
/// value of the sign-in cookie, echoed in the form (double submit).
enum PortalCSRF {
    static func token(forSession sessionToken: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("portal-form".utf8), using: SymmetricKey(data: Data(sessionToken.utf8)))
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Constant-time comparison, so a guess learns nothing from the time a refusal takes.
    static func matches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented else { return false }
        let left = Array(presented.utf8), right = Array(expected.utf8)
        guard left.count == right.count, !right.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
