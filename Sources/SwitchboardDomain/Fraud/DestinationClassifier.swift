/// Classifies a called number by the platform's prefix table (DESIGN §11): the longest matching
/// prefix decides; `home` ranges are ordinary, a number no prefix matches is international.
/// Built once per CDR batch from a table of at most a few thousand ranges.
public struct DestinationClassifier: Sendable {
    public enum PrefixClass: String, Sendable, CaseIterable {
        case home
        case premiumRate = "premium-rate"
        case highRisk = "high-risk"
    }

    /// What the fraud rules count a destination as; nil for the home country.
    public enum Destination: String, Sendable, CaseIterable {
        case international
        case premiumRate = "premium-rate"
        case highRisk = "high-risk"
    }

    /// Keyed by ``key(digits:length:)`` of each prefix's digits: looked up once per digit of a
    /// number without building a string, since this runs for every outgoing record of a batch.
    private let classes: [UInt64: PrefixClass]
    private let longestPrefix: Int

    public init(prefixes: [(prefix: String, class: PrefixClass)]) {
        var classes: [UInt64: PrefixClass] = [:]
        var longest = 0
        for (prefix, prefixClass) in prefixes where Self.isValidPrefix(prefix) {
            var value: UInt64 = 0
            for byte in prefix.utf8.dropFirst() { value = value * 10 + UInt64(byte - 0x30) }
            let length = prefix.utf8.count - 1
            if classes[Self.key(digits: value, length: length)] == nil { classes[Self.key(digits: value, length: length)] = prefixClass }
            longest = max(longest, length)
        }
        self.classes = classes
        longestPrefix = longest
    }

    /// The digits' value and count together (a prefix has at most 14 digits: below 2^47).
    private static func key(digits: UInt64, length: Int) -> UInt64 { digits << 4 | UInt64(length) }

    /// The class of an E.164 number (`+` and digits, as the CDR parser admits), nil for home.
    public func classify(_ number: String) -> Destination? {
        var found: PrefixClass?
        var value: UInt64 = 0
        var length = 0
        for byte in number.utf8.dropFirst() {
            guard length < longestPrefix, byte >= 0x30, byte <= 0x39 else { break }
            value = value * 10 + UInt64(byte - 0x30)
            length += 1
            // The longest match wins: keep going, remembering the last prefix found.
            if let match = classes[Self.key(digits: value, length: length)] { found = match }
        }
        switch found {
        case .home: return nil
        case .premiumRate: return .premiumRate
        case .highRisk: return .highRisk
        case nil: return .international
        }
    }

    /// Checks a prefix as the platform enters it: `+`, a country code's first digit (1–9), then up to 13 digits.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        return (2...15).contains(bytes.count) && bytes[0] == UInt8(ascii: "+") && (0x31...0x39).contains(bytes[1])
            && bytes.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
