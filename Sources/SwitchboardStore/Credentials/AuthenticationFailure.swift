/// The presented credential is unknown, revoked or expired, or its tenant is no longer active.
public struct AuthenticationFailure: Error, Sendable {
    public init() {}
}
