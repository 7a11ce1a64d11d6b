import HummingbirdBcrypt
import NIOPosix

/// bcrypt on NIO's blocking thread pool: a hash takes about 250 ms at cost 12, which must not
/// stall the two cooperative threads this machine has.
package struct PasswordHasher: Sendable {
    let cost: UInt8
    /// Verified against when the e-mail is unknown, so both answers take the same time.
    let decoyHash: String

    package init(cost: UInt8 = 12) {
        self.cost = cost
        self.decoyHash = cost == 12 ? Self.decoyAtCost12 : Bcrypt.hash("switchboard-decoy-password", cost: cost)
    }

    /// "switchboard-decoy-password" at cost 12, made once ahead: hashing it at every start cost a
    /// restart after a crash 250 ms (release) to 1.5 s (debug) before the server could listen.
    /// Nothing depends on its secrecy; it only has to cost what a real hash costs to check.
    static let decoyAtCost12 = "$2b$12$3IwhEmy06cMrQtTegQEvJ.cQA6h8SbRKDLGetzm2NttHtxGDM/t/W"

    package func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    package func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    package func verifyDecoy(_ password: String) async throws {
        _ = try await verify(password, against: decoyHash)
    }
}
