import SwitchboardStore

/// 401: the same answer for an unknown, revoked or expired credential and an inactive tenant.
extension AuthenticationFailure: ProblemReporting {
    public var problem: Problem { Problem.unauthorized("The credential is unknown, revoked or expired.") }
}
