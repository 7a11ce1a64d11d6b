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

    private let classes: [String: PrefixClass]
    private let longestPrefix: Int

    public init(prefixes: [(prefix: String, class: PrefixClass)]) {
        classes = Dictionary(prefixes.map { ($0.prefix, $0.class) }, uniquingKeysWith: { first, _ in first })
        longestPrefix = prefixes.map(\.prefix.utf8.count).max() ?? 0
    }

    /// The class of an E.164 number (`+` and digits, as the CDR parser admits), nil for home.
    public func classify(_ number: String) -> Destination? {
        let utf8 = number.utf8
        var length = min(longestPrefix, utf8.count)
        while length >= 2 {
            if let found = classes[String(number.prefix(length))] {
                switch found {
                case .home: return nil
                case .premiumRate: return .premiumRate
                case .highRisk: return .highRisk
                }
            }
            length -= 1
        }
        return .international
    }

    /// Checks a prefix as the platform enters it: `+`, a country code's first digit (1–9), then up to 13 digits.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        return (2...15).contains(bytes.count) && bytes[0] == UInt8(ascii: "+") && (0x31...0x39).contains(bytes[1])
            && bytes.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
