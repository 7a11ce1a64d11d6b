/// Why ``ReceiptSigningKey`` refused to build a key or to sign: each is a programming error upstream.
package enum ReceiptSigningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An Ed25519 seed is exactly 32 bytes.
    case invalidSeedLength(Int)
    /// Only a JSON object can carry a `signature` member.
    case notAnObject
    /// The receipt already has a `signature` member; signing again would silently replace it.
    case alreadySigned

    package var description: String {
        switch self {
        case .invalidSeedLength(let count): "an Ed25519 seed is 32 bytes, not \(count)"
        case .notAnObject: "only a JSON object can be signed as a receipt"
        case .alreadySigned: "the receipt already has a \"signature\" member"
        }
    }
}
