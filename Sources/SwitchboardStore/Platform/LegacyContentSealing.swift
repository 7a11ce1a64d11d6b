import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Seals content stored before sealing existed (migration 0013), a bounded number of items per
/// run, each with its person's key; the plain bytes left behind as dead tuples go with the
/// vacuum it requests.
struct LegacyContentSealing: Sendable {
    let database: ScopedDatabase
    let vault: ContentVault
    var batchSize = 200
    var batchesPerRun = 25

    func run(dryRun: Bool, logger: Logger) async throws -> RetentionRuleReport {
        var perReseller: [UUID: Int64] = [:]
        var skipped = 0
        for _ in 0..<(dryRun ? 1 : batchesPerRun) {
            let batch = try await database.transaction(.retention, logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT reseller_id, employee_id, id FROM sb.retention_unsealed_content(\(dryRun ? batchSize * batchesPerRun : batchSize)::integer)",
                    logger: logger
                )
                var batch: [(reseller: UUID, owner: UUID, id: UUID)] = []
                for try await row in rows.decode((UUID, UUID, UUID).self) { batch.append(row) }
                return batch
            }
            if dryRun {
                for item in batch { perReseller[item.reseller, default: 0] += 1 }
                break
            }
            var sealedThisBatch = 0
            for item in batch {
                let plain = try await database.transaction(.retention, logger: logger) { connection in
                    try await connection.query("SELECT sb.retention_unsealed_bytes(\(item.reseller), \(item.id))", logger: logger)
                        .collect().first?.decode(ByteBuffer?.self)
                }
                guard let plain = plain ?? nil else { continue }  // deleted or sealed meanwhile
                let sealed: [UInt8]
                do {
                    sealed = try await vault.seal(Array(buffer: plain), contentID: item.id, owner: item.owner)
                } catch KeyStoreError.destroyed {
                    skipped += 1  // its person is being erased; the erasure deletes the row
                    continue
                }
                let done = try await database.transaction(.retention, logger: logger) { connection in
                    try await connection.query(
                        "SELECT sb.retention_seal_content(\(item.reseller), \(item.id), \(ByteBuffer(bytes: sealed)))", logger: logger
                    ).collect().first?.decode(Bool.self) ?? false
                }
                if done {
                    perReseller[item.reseller, default: 0] += 1
                    sealedThisBatch += 1
                }
            }
            if sealedThisBatch > 0 {
                try await database.transaction(.retention, logger: logger) { connection in
                    try await connection.query("SELECT sb.request_erasure_vacuum()", logger: logger)
                }
            }
            if batch.count < batchSize || sealedThisBatch == 0 { break }
        }
        return RetentionRuleReport(perReseller: perReseller, note: skipped > 0 ? "\(skipped) item(s) of people being erased left to their erasure" : nil)
    }
}
