import SwitchboardDomain

/// Whose eyes a transaction sees the database through.
public enum DatabaseScope: Sendable {
    /// An authenticated request: its role's grants and its tenant's rows.
    case principal(Principal)
    /// Checking one presented credential: only the rows matching that hash or login e-mail are visible.
    case authenticator(credentialHash: String?, loginEmail: String?)
    /// The retention job (server or `switchboard retention run`): may run platform.run_retention, nothing else.
    case retention
    /// The readiness probe: the bare login role, which may read the migrations ledger and no tenant's rows.
    case readiness
}
