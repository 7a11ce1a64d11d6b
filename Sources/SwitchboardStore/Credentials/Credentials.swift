import Crypto
import Foundation

public enum Credentials {
    public static func issue(_ kind: CredentialKind) -> IssuedSecret {
        let secret = "\(kind.rawValue)_\(randomToken())"
        return IssuedSecret(secret: secret, hash: hash(secret), displayPrefix: String(secret.prefix(12)))
    }

    /// 32 random bytes as unpadded base64url (43 characters): secrets, and tokens a client echoes.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(random).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The shortest operator-chosen secret accepted (the bootstrap token): 32 characters.
    public static let minimumAdoptedLength = 32

    /// An operator-chosen secret (the bootstrap token) is used as given; its listed prefix is
    /// derived from the hash, so listing keys reveals nothing of the secret.
    public static func adopt(_ secret: String) -> IssuedSecret {
        let digest = hash(secret)
        return IssuedSecret(secret: secret, hash: digest, displayPrefix: "token:" + digest.prefix(8))
    }

    /// Lower-case hex of the SHA-256, as stored. Runs on every request, so no per-byte formatting.
    public static func hash(_ secret: String) -> String {
        let digest = SHA256.hash(data: Data(secret.utf8))
        return String(unsafeUninitializedCapacity: SHA256.byteCount * 2) { buffer in
            var index = 0
            for byte in digest {
                buffer[index] = hexDigits[Int(byte >> 4)]
                buffer[index + 1] = hexDigits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The kind a presented secret claims by its prefix; the bootstrap token may have any form.
    public static func kind(of secret: String) -> CredentialKind? {
        guard let underscore = secret.firstIndex(of: "_") else { return nil }
        return CredentialKind(rawValue: String(secret[..<underscore]))
    }
}
