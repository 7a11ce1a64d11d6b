import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Where a CDR listing continues: the last record's start time, batch and line.
public struct CDRCursor: Sendable, Equatable {
    public var startedAt: Date
    public var batchID: UUID
    public var line: Int

    public init(startedAt: Date, batchID: UUID, line: Int) {
        self.startedAt = startedAt
        self.batchID = batchID
        self.line = line
    }

    /// `<microseconds since 1970>.<batch id>.<line>`: opaque to clients, exact for the database.
    public var token: String {
        "\(Int64((startedAt.timeIntervalSince1970 * 1_000_000).rounded())).\(batchID.uuidString.lowercased()).\(line)"
    }

    public init?(token: String) {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let micros = Int64(parts[0]), let batch = UUID(uuidString: String(parts[1])), let line = Int(parts[2]) else { return nil }
        self.init(startedAt: Date(timeIntervalSince1970: Double(micros) / 1_000_000), batchID: batch, line: line)
    }
}
