internal import Foundation

/// The client address login throttling counts failures against.
///
/// It is the peer's IP address, or `local` for a peer without one (a Unix socket, the in-process
/// test client). When the peer is a trusted proxy, it is the rightmost `X-Forwarded-For` entry that
/// is not itself a trusted proxy: proxies append, so that is the client the nearest trusted proxy
/// saw, and entries further left (which the client may have written itself) are never believed.
package enum ClientAddress {
    package static let unknownPeer = "local"

    package static func resolve(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        let peer = peer ?? unknownPeer
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !trustedProxies.contains(hop) {
            return isPlausibleAddress(hop) ? hop : peer
        }
        return peer
    }

    /// A comma-separated list (`SWITCHBOARD_TRUSTED_PROXIES`), e.g. `10.0.0.5, 10.0.0.6` or `local`.
    package static func trustedProxies(from list: String?) -> Set<String> {
        Set((list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// An IPv4 or IPv6 address's characters and length; anything else is not a client address.
    static func isPlausibleAddress(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 45
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isASCIIHexDigit || $0 == "." || $0 == ":") }
    }
}
