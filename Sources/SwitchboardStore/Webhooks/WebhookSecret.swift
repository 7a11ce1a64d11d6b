import Foundation

/// A subscription's HMAC secret: derived from a key-store key with the subscription's id as its
/// subject, so it is never in the main database and is destroyed with the subscription.
package enum WebhookSecret {
    static let purpose = "switchboard-webhook-secret"

    /// Makes the secret on first use (at registration) and returns it thereafter.
    package static func secret(for subscription: UUID, in keys: any KeyStore) async throws -> [UInt8] {
        try await keys.dataKey(for: subscription).derivedBytes(purpose: purpose)
    }

    /// Destroys the secret of a deleted subscription.
    package static func destroy(for subscription: UUID, in keys: any KeyStore) async throws {
        try await keys.destroyDataKeys(of: [subscription], reason: "webhook subscription deleted")
    }
}
