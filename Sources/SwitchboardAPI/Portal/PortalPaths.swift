/// Paths the portal links to and redirects to.
enum PortalPaths {
    static let staff = "/portal/employees"
    static let signIn = "/portal/sign-in"

    static func employee(_ id: String) -> String { "/portal/employees/\(id)" }

    /// Percent-encoded for a query parameter.
    static func encode(_ value: String) -> String {
        var allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/".utf8)
        allowed.remove(UInt8(ascii: "&"))
        var encoded = ""
        for byte in value.utf8 {
            if allowed.contains(byte) {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                let hex = Array("0123456789ABCDEF")
                encoded += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return encoded
    }

    /// A `next` target the language switch may send the browser back to: a portal path of this
    /// host, never another site (`//evil`, `/\evil`) and never a path outside the portal.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/portal/") || raw == "/portal", !raw.contains("//"), !raw.contains("\\"),
              raw.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }), raw.utf8.count <= 500
        else { return staff }
        return raw
    }
}
