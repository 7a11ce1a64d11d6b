/// A DNS hostname a brand's portal is served on: lower case, no port, no trailing dot, at least
/// two labels, letters/digits/hyphens only (an internationalised name in its `xn--` form), never
/// an IP address. The database checks the same shape.
public struct Hostname: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: String

    public init?(_ raw: String) {
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 })
            else { return nil }
        }
        // The top-level label starts with a letter, which also rules out IPv4 literals.
        guard let top = labels.last?.utf8.first, top >= 97 && top <= 122 else { return nil }
        value = name
    }

    /// The host of an HTTP `Host` header (`name`, `name:port`, `[v6]:port`), without the port.
    /// Nil for IP literals and anything not a hostname.
    public init?(hostHeader: String) {
        guard !hostHeader.hasPrefix("[") else { return nil }
        let host = hostHeader.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        self.init(host)
    }

    /// Where the reseller publishes the verification token as a TXT record.
    public var verificationRecordName: String { "_portal-verification." + value }

    public var description: String { value }

    public static func < (lhs: Hostname, rhs: Hostname) -> Bool { lhs.value < rhs.value }
}
