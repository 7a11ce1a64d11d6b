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
        self.decoyHash = Bcrypt.hash("switchboard-decoy-password", cost: cost)
    }

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
