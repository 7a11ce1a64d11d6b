import Foundation

/// A brand colour as `#rrggbb`, with the WCAG 2.x arithmetic the portal needs to keep text readable.
public struct BrandColor: Sendable, Equatable, CustomStringConvertible {
    public let red: UInt8
    public let green: UInt8
    public let blue: UInt8

    public static let white = BrandColor(red: 255, green: 255, blue: 255)
    public static let black = BrandColor(red: 0, green: 0, blue: 0)
    /// WCAG 2.x AA for normal text.
    public static let minimumTextContrast = 4.5

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `#rrggbb` in either case; nil for anything else (no shorthand, no names, no alpha).
    public init?(hex: String) {
        let scalars = Array(hex.unicodeScalars)
        guard scalars.count == 7, scalars[0] == "#" else { return nil }
        var channels: [UInt8] = []
        for index in stride(from: 1, to: 7, by: 2) {
            guard let high = Self.nibble(scalars[index]), let low = Self.nibble(scalars[index + 1]) else { return nil }
            channels.append(high << 4 | low)
        }
        self.init(red: channels[0], green: channels[1], blue: channels[2])
    }

    /// Lower-case `#rrggbb`, the one form stored and served.
    public var description: String {
        let digits = Array("0123456789abcdef")
        return "#" + [red, green, blue].map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined()
    }

    /// Relative luminance (WCAG 2.x).
    public var luminance: Double {
        func linear(_ channel: UInt8) -> Double {
            let value = Double(channel) / 255
            return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// The contrast ratio between two colours, from 1 to 21.
    public func contrast(with other: BrandColor) -> Double {
        let (lighter, darker) = luminance > other.luminance ? (luminance, other.luminance) : (other.luminance, luminance)
        return (lighter + 0.05) / (darker + 0.05)
    }

    /// White or black, whichever reads better on this colour as a background. Every colour
    /// reaches at least 4.58:1 with one of the two, so text on a brand colour always passes AA.
    public var readableText: BrandColor {
        contrast(with: .white) >= contrast(with: .black) ? .white : .black
    }

    /// This colour, darkened or lightened towards `background`'s opposite just enough for text in
    /// it to reach `ratio` on `background` (a light accent on a white page becomes a darker shade
    /// of the same hue). Unchanged when it already passes.
    public func corrected(forTextOn background: BrandColor, ratio: Double = BrandColor.minimumTextContrast) -> BrandColor {
        guard contrast(with: background) < ratio else { return self }
        let target = background.readableText
        // The blend towards the target is monotonic in contrast: a binary search finds the least change.
        var low = 0.0, high = 1.0
        for _ in 0..<20 {
            let middle = (low + high) / 2
            if blended(towards: target, by: middle).contrast(with: background) >= ratio { high = middle } else { low = middle }
        }
        return blended(towards: target, by: high)
    }

    private func blended(towards target: BrandColor, by fraction: Double) -> BrandColor {
        func mix(_ from: UInt8, _ to: UInt8) -> UInt8 {
            UInt8((Double(from) + (Double(to) - Double(from)) * fraction).rounded())
        }
        return BrandColor(red: mix(red, target.red), green: mix(green, target.green), blue: mix(blue, target.blue))
    }

    private static func nibble(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "0"..."9": UInt8(scalar.value - 48)
        case "a"..."f": UInt8(scalar.value - 87)
        case "A"..."F": UInt8(scalar.value - 55)
        default: nil
        }
    }
}
