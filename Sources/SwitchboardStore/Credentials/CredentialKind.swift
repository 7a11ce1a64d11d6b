import Crypto
import Foundation

/// Bearer secrets: a recognisable prefix naming their kind, then 256 random bits (base64url).
/// Only their SHA-256 is stored.
public enum CredentialKind: String, Sendable, CaseIterable {
    case platformKey = "sbp"
    case resellerKey = "sbr"
    case session = "sbs"
    /// A session of a person of the platform's staff.
    case staffSession = "sbst"
    case telephonyKey = "sbt"
}
