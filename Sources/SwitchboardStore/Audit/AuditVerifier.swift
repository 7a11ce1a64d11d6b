import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Recomputes every chain of the audit trail and reports the first broken link.
public enum AuditVerifier {
    public struct Report: Sendable, Equatable {
        public var chains: Int
        public var events: Int
        /// `chain`, `seq` and the reason of the first entry that does not verify.
        public var firstBreak: String?
    }

    /// Reads as the admin (the application roles cannot read the trail). The row is cast to the
    /// table's type, as the chain trigger does (0023): on Citus the function runs on each shard,
    /// where a row's own type is the shard's (`sb.audit_events_102041`) and has no such function.
    public static func verify(on connection: PostgresConnection, logger: Logger) async throws -> Report {
        let rows = try await connection.query(
            """
            SELECT e.chain, e.seq, e.prev_hash, e.hash, sb.audit_canonical(ROW(e.*)::sb.audit_events)
            FROM sb.audit_events e ORDER BY e.chain, e.seq
            """,
            logger: logger
        )
        var report = Report(chains: 0, events: 0, firstBreak: nil)
        var currentChain: String?
        var expectedSeq: Int64 = 1
        var previousHash = Data(repeating: 0, count: 32)
        var lastOfChain: [String: (seq: Int64, hash: Data)] = [:]
        for try await (chain, seq, prevHash, hash, canonical) in rows.decode((String, Int64, Data, Data, String).self) {
            report.events += 1
            if chain != currentChain {
                report.chains += 1
                currentChain = chain
                expectedSeq = 1
                previousHash = Data(repeating: 0, count: 32)
            }
            guard report.firstBreak == nil else { continue }
            if seq != expectedSeq {
                report.firstBreak = "chain \(chain) seq \(seq): expected seq \(expectedSeq) (an entry is missing)"
            } else if prevHash != previousHash {
                report.firstBreak = "chain \(chain) seq \(seq): does not link to the previous entry"
            } else if Data(SHA256Hasher.hash(previousHash + Data(canonical.utf8))) != hash {
                report.firstBreak = "chain \(chain) seq \(seq): content does not match its hash (altered)"
            }
            previousHash = hash
            expectedSeq = seq + 1
            lastOfChain[chain] = (seq, hash)
        }
        // The heads record each chain's newest entry, so removing entries from the end shows too.
        if report.firstBreak == nil {
            let heads = try await connection.query("SELECT chain, seq, hash FROM sb.audit_chain_heads ORDER BY chain", logger: logger)
            for try await (chain, seq, hash) in heads.decode((String, Int64, Data).self) {
                guard let last = lastOfChain[chain], last.seq == seq, last.hash == hash else {
                    report.firstBreak = "chain \(chain): its newest entries (up to seq \(seq)) are missing"
                    break
                }
            }
        }
        return report
    }
}

import Crypto

enum SHA256Hasher {
    static func hash(_ data: Data) -> [UInt8] { Array(SHA256.hash(data: data)) }
}
