/// The colours the portal actually paints with, derived from a brand's two colours so every text
/// reaches a contrast of at least 4.5:1 with what it stands on (WCAG AA), whatever was chosen.
public struct BrandPalette: Sendable, Equatable {
    public let primary: BrandColor
    public let accent: BrandColor
    /// Header text on the primary colour.
    public let textOnPrimary: BrandColor
    /// Button text on the accent colour.
    public let textOnAccent: BrandColor
    /// Links and focus outlines on the white page: the accent, shaded if it is too light.
    public let link: BrandColor

    public init(primary: BrandColor, accent: BrandColor) {
        self.primary = primary
        self.accent = accent
        textOnPrimary = primary.readableText
        textOnAccent = accent.readableText
        link = accent.corrected(forTextOn: .white)
    }
}
