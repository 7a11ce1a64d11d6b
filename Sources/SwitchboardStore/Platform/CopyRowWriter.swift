import Crypto
import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Rows in COPY's text format. Every value has been validated to a character set without tab,
/// newline or backslash (digits, E.164, RFC 3339, inet, the cell alphabet), so none needs escaping.
struct CopyRowWriter {
    let batchID: String
    private(set) var rows = 0
    private(set) var unknownNumbers = 0
    private var buffer = ByteBuffer()

    init(batchID: UUID) {
        self.batchID = batchID.uuidString.lowercased()
    }

    mutating func append(_ record: CallDetailRecord, line: Int, holder: NumberResolver.Holder?, destination: DestinationClassifier.Destination?) {
        // Written field by field into one buffer: this runs once per record of every batch.
        field(record.startedAtText)
        field(batchID)
        field(String(line))
        field(record.kind.rawValue)
        field(record.direction.rawValue)
        field(record.aNumber)
        field(record.bNumber)
        field(record.servedNumber)
        field(record.durationSeconds.map(String.init))
        field(record.bytes.map(String.init))
        field(record.ip)
        field(record.cell)
        field(record.country)
        field(record.charge.description)
        field(holder?.resellerText)
        field(holder?.customerText)
        field(holder?.assignmentText)
        field(destination?.rawValue, last: true)
        rows += 1
        if holder == nil { unknownNumbers += 1 }
    }

    /// Telemetry rows. Attributes are JSON, whose escapes contain backslashes: COPY's text format needs them doubled.
    mutating func append(_ event: TelemetryEvent, line: Int) {
        field(event.occurredAtText)
        field(batchID)
        field(String(line))
        field(event.type)
        field(event.node)
        field(event.subjectNumber)
        field(event.subjectICCID)
        field(event.attributesJSON.replacingOccurrences(of: "\\", with: "\\\\"), last: true)
        rows += 1
    }

    private mutating func field(_ value: String?, last: Bool = false) {
        if let value { buffer.writeString(value) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
    }

    mutating func take() -> ByteBuffer {
        defer { buffer = ByteBuffer() }
        return buffer
    }
}
