package import Foundation
import Logging
import SwitchboardDomain
import SwitchboardStore

/// Resolves the `Authorization` header to exactly one principal, or a 401 problem.
package struct Authenticator: Sendable {
    let database: ScopedDatabase
    let credentials: CredentialResolver
    let passwords: PasswordHasher
    package var sessionLifetime: Duration = .seconds(12 * 3600)
    /// How failed logins slow down further attempts, per client address and per account.
    package var throttle = LoginThrottleRule()
    /// Peers (IP addresses, or `local` for a Unix-socket or in-process peer) whose `X-Forwarded-For` names the client.
    package var trustedProxies: Set<String> = []
    /// Counts refused logins by reason (never by e-mail or address). Nil records nothing.
    package var metrics: ServerMetrics? = nil

    package init(database: ScopedDatabase, credentials: CredentialResolver, passwords: PasswordHasher) {
        self.database = database
        self.credentials = credentials
        self.passwords = passwords
    }

    /// The bearer secret's hash and claimed kind, or a 401 for a missing or malformed header.
    package func credential(from header: String?) throws -> (hash: String, kind: CredentialKind?) {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthorized("Send 'Authorization: Bearer <API key or session token>'.")
        }
        let secret = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard (16...512).contains(secret.utf8.count) else {
            throw Problem.unauthorized("The credential is malformed.")
        }
        return (Credentials.hash(secret), Credentials.kind(of: secret))
    }

    /// The header's principal (``CredentialResolver``). A revoked key, a suspended reseller or an
    /// ended session fails on every replica within milliseconds of the change's commit.
    package func principal(from header: String?, logger: Logger) async throws -> Principal {
        let credential = try credential(from: header)
        return try await credentials.principal(presenting: credential.hash, kind: credential.kind, logger: logger)
    }

    /// Checks an e-mail and password from the client at `source` (see ``ClientAddress``).
    ///
    /// Every attempt is first claimed against the source's and the account's failure counters
    /// (``LoginThrottleRule``): while either is in its backoff window the answer is 429 with
    /// `Retry-After`, before any password is checked. Unknown e-mails are counted like known ones,
    /// and an unknown e-mail, a wrong password and an inactive company all answer the same 401
    /// after the same bcrypt work.
    ///
    /// `reseller` limits the candidates to one reseller's managers: the portal signs in through a
    /// brand's hostname, so the same e-mail under another reseller is neither tried nor revealed.
    package func login(email rawEmail: String, password: String, source: String, reseller: UUID? = nil, logger: Logger) async throws -> (token: String, expiresAt: Date) {
        try await signIn(.managers(reseller: reseller), email: rawEmail, password: password, source: source, logger: logger)
    }

    /// Checks a platform staff member's e-mail and password, with the same throttling, timing and
    /// answers as ``login(email:password:source:reseller:logger:)``. Staff and managers are
    /// separate directories: a manager's e-mail never opens a platform session, nor the reverse.
    package func staffLogin(email rawEmail: String, password: String, source: String, logger: Logger) async throws -> (token: String, expiresAt: Date) {
        try await signIn(.staff, email: rawEmail, password: password, source: source, logger: logger)
    }

    /// Whose sign-in is checked: managers (of one reseller, through its portal) or platform staff.
    enum Directory {
        case managers(reseller: UUID?)
        case staff

        var credentialKind: CredentialKind { if case .staff = self { .staffSession } else { .session } }
        var attemptAction: String { if case .staff = self { "staff-login.attempt" } else { "login.attempt" } }
        var sessionAction: String { if case .staff = self { "staff-session.create" } else { "session.create" } }
        /// The account's throttle counter: staff are counted apart from a manager with the same e-mail.
        func throttleKey(_ email: String) -> String { if case .staff = self { "staff:" + email } else { email } }
    }

    private func signIn(_ directory: Directory, email rawEmail: String, password: String, source: String, logger: Logger) async throws -> (token: String, expiresAt: Date) {
        let refusal = Problem.unauthorized("The e-mail or password is wrong.")
        let validEmail = EmailAddress(rawEmail)?.value
        // Not an address at all: still counted, so a throttled source stays throttled; under a digest,
        // because such text may hold what PostgreSQL cannot store (NUL) or be of any length.
        let email = validEmail ?? "invalid:" + Credentials.hash(rawEmail.lowercased())
        let throttleKey = directory.throttleKey(email)
        let scope = DatabaseScope.authenticator(credentialHash: nil, loginEmail: validEmail)
        // The attempt is counted before bcrypt runs, so parallel guesses cannot outrun the backoff.
        let claim: (wait: Int?, candidates: [AuthenticationRepository.LoginCandidate]) = try await database.transaction(scope, logger: logger) { connection in
            let repository = AuthenticationRepository(connection, logger: logger)
            if let wait = try await repository.claimLoginAttempt(source: source, email: throttleKey, rule: throttle) {
                return (wait, [])
            }
            guard validEmail != nil else { return (nil, []) }
            let candidates = switch directory {
            case .managers(let reseller): try await repository.loginCandidates(email: email, reseller: reseller)
            case .staff: try await repository.staffLoginCandidates(email: email)
            }
            for candidate in candidates {
                try await AuditLog.appendLogin(
                    AuditEntry(action: directory.attemptAction, targetID: candidate.personID, resellerID: candidate.resellerID, customerID: candidate.customerID),
                    personID: candidate.personID, on: connection, logger: logger
                )
            }
            return (nil, candidates)
        }
        if let wait = claim.wait { metrics?.loginFailed(.throttled); throw Problem.loginThrottled(retryAfterSeconds: wait) }
        if claim.candidates.isEmpty { try await passwords.verifyDecoy(password) }
        // Manager logins are unique per reseller: the password says which of the e-mail's managers this is.
        var matched: AuthenticationRepository.LoginCandidate?
        for candidate in claim.candidates where try await passwords.verify(password, against: candidate.passwordHash) {
            matched = candidate
            break
        }
        guard let candidate = matched else { metrics?.loginFailed(.wrongCredentials); throw refusal }

        let token = Credentials.issue(directory.credentialKind)
        let expiresAt = Date().addingTimeInterval(TimeInterval(sessionLifetime.components.seconds))
        let sessionID = TimeOrderedID.make()
        try await database.transaction(scope, logger: logger) { connection in
            let repository = AuthenticationRepository(connection, logger: logger)
            try await repository.forgiveLogin(source: source, email: throttleKey)
            // The entry first: its check reads the managers as the owner, and on Citus a transaction
            // cannot read a shard group as one role after writing to it as another (the session).
            try await AuditLog.appendLogin(
                AuditEntry(action: directory.sessionAction, targetID: sessionID, resellerID: candidate.resellerID, customerID: candidate.customerID),
                personID: candidate.personID, on: connection, logger: logger
            )
            try await repository.openSession(candidate, id: sessionID, tokenHash: token.hash, expiresAt: expiresAt)
        }
        return (token.secret, expiresAt)
    }
}
