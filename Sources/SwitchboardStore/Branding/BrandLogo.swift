/// A brand's logo as the portal serves it (validated and stripped of metadata when it was stored).
public struct BrandLogo: Sendable, Equatable {
    public var bytes: [UInt8]
    public var mediaType: String
    public var version: Int
}
