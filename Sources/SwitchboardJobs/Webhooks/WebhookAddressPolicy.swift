import NIOCore

/// Decides whether a resolved webhook address may be contacted. Webhook URLs come from resellers, so
/// without this check the server could be steered at its own network (SSRF): databases on private
/// addresses, the cloud metadata service on 169.254.169.254, admin ports on loopback. The sender asks
/// the policy about every address it resolved, and connects only to an address that passed.
package struct WebhookAddressPolicy: Sendable {
    /// The operator's local-trial setting: lets loopback (127/8, ::1, ::ffff:127.x) through so that
    /// webhooks can be tried against a receiver on the same machine. Every other internal range stays refused.
    package var allowsLoopback: Bool

    package init(allowsLoopback: Bool = false) {
        self.allowsLoopback = allowsLoopback
    }

    /// Why `address` must not be contacted ("private address", …), or nil when it is public.
    package func refusal(for address: SocketAddress) -> String? {
        let verdict: Verdict?
        switch address {
        case .v4(let v4):
            verdict = Self.judge(ipv4: withUnsafeBytes(of: v4.address.sin_addr) { Array($0) })
        case .v6(let v6):
            verdict = Self.judge(ipv6: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return "unix-domain socket address"
        }
        guard let verdict else { return nil }
        return verdict.isLoopback && allowsLoopback ? nil : verdict.reason
    }

    /// An internal range's reason; `isLoopback` marks the only kind `allowsLoopback` may let through.
    private struct Verdict {
        var reason: String
        var isLoopback = false
    }

    private typealias Rule = (prefix: [UInt8], bits: Int, reason: String)

    /// IPv4 special-purpose ranges (RFC 6890 and the IANA registry) that are not for the public internet.
    private static let ipv4Rules: [Rule] = [
        ([0, 0, 0, 0], 8, "unspecified (\"this network\") address"),
        ([10, 0, 0, 0], 8, "private address"),
        ([100, 64, 0, 0], 10, "shared (carrier-grade NAT) address"),
        ([127, 0, 0, 0], 8, "loopback address"),
        ([169, 254, 0, 0], 16, "link-local address"),
        ([172, 16, 0, 0], 12, "private address"),
        ([192, 0, 0, 0], 24, "IETF protocol assignment address"),
        ([192, 0, 2, 0], 24, "documentation address"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast address"),
        ([192, 168, 0, 0], 16, "private address"),
        ([198, 18, 0, 0], 15, "benchmarking address"),
        ([198, 51, 100, 0], 24, "documentation address"),
        ([203, 0, 113, 0], 24, "documentation address"),
        ([224, 0, 0, 0], 4, "multicast address"),
        ([255, 255, 255, 255], 32, "broadcast address"),
        ([240, 0, 0, 0], 4, "reserved address"),
    ]

    /// IPv6 ranges refused outright. Ranges that embed an IPv4 address are handled in `judge(ipv6:)`.
    private static let ipv6Rules: [Rule] = [
        ([0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, "discard-only address"),
        ([0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, "local-use NAT64 address"),
        ([0x20, 0x01, 0x0d, 0xb8], 32, "documentation address"),
        ([0x3f, 0xff, 0x00], 20, "documentation address"),
        ([0x20, 0x01, 0x00, 0x00], 23, "IETF protocol assignment address"),
        ([0xfc], 7, "unique-local address"),
        ([0xfe, 0x80], 10, "link-local address"),
        ([0xfe, 0xc0], 10, "site-local address"),
        ([0xff], 8, "multicast address"),
    ]

    private static func judge(ipv4 bytes: [UInt8]) -> Verdict? {
        guard let rule = ipv4Rules.first(where: { matches(bytes, $0.prefix, $0.bits) }) else { return nil }
        return Verdict(reason: rule.reason, isLoopback: bytes[0] == 127)
    }

    private static func judge(ipv6 bytes: [UInt8]) -> Verdict? {
        let zero10 = bytes[0..<10].allSatisfy { $0 == 0 }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) {
            switch bytes[15] {
            case 0: return Verdict(reason: "unspecified address")
            case 1: return Verdict(reason: "loopback address", isLoopback: true)
            default: break  // falls to IPv4-compatible below
            }
        }
        // ::ffff:a.b.c.d reaches the IPv4 host itself, so IPv4 loopback stays allowable there.
        if zero10 && bytes[10] == 0xff && bytes[11] == 0xff {
            return judge(ipv4: Array(bytes[12..<16]))
        }
        // The other embeddings (IPv4-compatible, NAT64, 6to4) lead to a translator or tunnel: judged by
        // the embedded IPv4 address, but never let through as loopback.
        let embedded: [UInt8]?
        if zero10 && bytes[10] == 0 && bytes[11] == 0 {
            embedded = Array(bytes[12..<16])
        } else if matches(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96) {
            embedded = Array(bytes[12..<16])
        } else if bytes[0] == 0x20 && bytes[1] == 0x02 {
            embedded = Array(bytes[2..<6])
        } else {
            embedded = nil
        }
        if let embedded {
            return judge(ipv4: embedded).map { Verdict(reason: $0.reason) }
        }
        if let rule = ipv6Rules.first(where: { matches(bytes, $0.prefix, $0.bits) }) {
            return Verdict(reason: rule.reason)
        }
        // Only 2000::/3 is allocated as global unicast; the rest of the space is reserved.
        return bytes[0] & 0xe0 == 0x20 ? nil : Verdict(reason: "reserved address")
    }

    /// Whether the first `bits` bits of `bytes` equal those of `prefix` (missing prefix bytes are zero).
    private static func matches(_ bytes: [UInt8], _ prefix: [UInt8], _ bits: Int) -> Bool {
        (0..<(bits + 7) / 8).allSatisfy { index in
            let remaining = bits - index * 8
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            return bytes[index] & mask == (index < prefix.count ? prefix[index] : 0) & mask
        }
    }
}
