import Crypto
import Foundation

public struct IssuedSecret: Sendable {
    /// Shown to the client once, never stored.
    public let secret: String
    public let hash: String
    /// The first characters, safe to list so people can tell their keys apart.
    public let displayPrefix: String
}
