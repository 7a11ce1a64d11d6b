import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Retention and crypto-shredding (issue 15): the 30-day purge of a terminated customer with
/// 1,000 employees (keys destroyed, rows deleted, tables rewritten), and content downloads of
/// sealed content (opened with the person's key from the key store) against the same downloads
/// of content stored before sealing existed.
enum RetentionBenchmark {
    static let connections = 4
    /// A voicemail of about 5 seconds (8 kHz, 16-bit mono WAV).
    static let contentBytes = 80_000

    /// Time of the terminated-customers rule and of the vacuum after it, for 1,000 people with content.
    static func purge(reseller: String, people: Int, in environment: TrafficBenchmark.Environment) async throws -> Row {
        let logger = environment.logger
        let customer = UUID()
        try await environment.target.withAdminConnection(logger: logger) { connection in
            for statement in [
                "INSERT INTO sb.customers (reseller_id, id, name, status, terminated_at) VALUES ('\(reseller)', '\(customer)', 'Purged ApS', 'terminated', now() - interval '31 days')",
                """
                INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, email, extension)
                SELECT '\(reseller)', '\(customer)', gen_random_uuid(), 'Leaving person ' || i, 'leaving' || i || '@purged.example', (10000 + i)::text
                FROM generate_series(1, \(people)) i
                """,
                "INSERT INTO sb.managers (reseller_id, customer_id, id, email, full_name, password_hash) VALUES ('\(reseller)', '\(customer)', gen_random_uuid(), 'boss@purged.example', 'Boss', 'x')",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
        // One sealed voicemail per person: their key exists, so the purge destroys 1,000 keys.
        let people = try await environment.target.withAdminConnection(logger: logger) { connection in
            try await connection.query("SELECT id FROM sb.employees WHERE customer_id = \(customer)", logger: logger).collect().map { try $0.decode(UUID.self) }
        }
        let audio = [UInt8](repeating: 0x5a, count: 4096)
        for chunk in stride(from: 0, to: people.count, by: 100).map({ Array(people[$0..<min($0 + 100, people.count)]) }) {
            var rows: [(UUID, UUID, ByteBuffer)] = []
            for person in chunk {
                let id = UUID()
                rows.append((person, id, ByteBuffer(bytes: try await environment.vault.seal(audio, contentID: id, owner: person))))
            }
            try await environment.target.withAdminConnection(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO sb.employee_content (employee_id, id, kind, content_type, byte_size, data, sealed)
                    SELECT e, c, 'voicemail', 'audio/wav', \(audio.count), d, true FROM unnest(\(rows.map(\.0)), \(rows.map(\.1)), \(rows.map(\.2))) AS r (e, c, d)
                    """,
                    logger: logger
                )
            }
        }
        let runner = RetentionRunner(database: ScopedDatabase(client: environment.client), vault: environment.vault, quarantine: QuarantineRule(), maintenance: environment.target)
        guard let run = try await runner.run(clock: Date(), dryRun: false, trigger: .command, logger: logger),
              let rule = run.report(RetentionPolicy.RuleName.terminatedCustomers), rule.affected >= Int64(people.count)
        else { throw BenchError("the retention run did not purge the customer") }
        let vacuum = run.report(RetentionRunner.StepName.vacuum)?.elapsed ?? .zero
        let seconds = rule.elapsed.seconds
        return Row(
            name: "30-day purge of a terminated customer with \(people.count) employees (one sealed voicemail each): keys destroyed, rows deleted",
            text: String(format: "%.2f s for the rule (%lld rows), then %.2f s rewriting the touched tables (VACUUM FULL)",
                         seconds, rule.affected, vacuum.seconds),
            ratio: seconds / 10, goal: "< 10 s (ratio = rule ÷ 10 s)", ok: seconds < 10
        )
    }

    /// Downloads per second of sealed content ÷ of the same bytes stored unsealed, same person.
    static func contentReads(reseller: String, customer: String, resellerKey: String, seconds: Int, in environment: TrafficBenchmark.Environment) async throws -> Row {
        let logger = environment.logger
        let person = UUID(), sealedID = UUID(), plainID = UUID()
        let audio = (0..<contentBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let sealed = try await environment.vault.seal(audio, contentID: sealedID, owner: person)
        try await environment.target.withAdminConnection(logger: logger) { connection in
            try await connection.query(
                "INSERT INTO sb.employees (reseller_id, customer_id, id, full_name, extension) VALUES (\(UUID(uuidString: reseller)!), \(UUID(uuidString: customer)!), \(person), 'Content reader', '77777')",
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO sb.employee_content (employee_id, id, kind, content_type, byte_size, data, sealed) VALUES
                  (\(person), \(sealedID), 'voicemail', 'audio/wav', \(audio.count), \(ByteBuffer(bytes: sealed)), true),
                  (\(person), \(plainID), 'voicemail', 'audio/wav', \(audio.count), \(ByteBuffer(bytes: audio)), false)
                """,
                logger: logger
            )
        }
        let base = "\(environment.base)/v1/employees/\(person.uuidString.lowercased())/content/"
        let plain = try await Wrk.measure(url: base + plainID.uuidString.lowercased(), token: resellerKey, connections: connections, seconds: seconds)
        let opened = try await Wrk.measure(url: base + sealedID.uuidString.lowercased(), token: resellerKey, connections: connections, seconds: seconds)
        let ratio = opened.perSecond / plain.perSecond
        return Row(
            name: "content download (\(contentBytes / 1000) kB voicemail, \(connections) connections): sealed ÷ stored before sealing",
            text: String(format: "sealed %.0f req/s (p99 %.1f ms) ÷ unsealed %.0f req/s (p99 %.1f ms); the sealed read adds the key store's lookup and AES-256-GCM",
                         opened.perSecond, opened.p99 ?? .nan, plain.perSecond, plain.p99 ?? .nan),
            ratio: ratio, goal: "≥ 0.80", ok: ratio >= 0.8
        )
    }
}
