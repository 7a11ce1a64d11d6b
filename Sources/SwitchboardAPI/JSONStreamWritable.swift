internal import Foundation

/// A schema whose JSON ``StreamingJSONEncoder`` writes by hand instead of through its `Encodable`
/// conformance. Only the records a list page repeats fifty times have one: going through
/// `Encodable` costs a dynamic dispatch and a box per property. `StreamingJSONEncoderTests` decodes
/// what each writes with the generated conformance, from records with every property set, so a
/// property added to the schema and not here fails them.
protocol JSONStreamWritable {
    func writeJSON(to writer: JSONStreamWriter) throws
}

/// One object's members in order. Nil values are left out, as the generated encoding leaves them out.
struct JSONObjectWriter {
    let writer: JSONStreamWriter
    private var hasMembers = false

    /// Writes `{`, the members `body` adds, then `}`.
    static func object(in writer: JSONStreamWriter, _ body: (inout JSONObjectWriter) throws -> Void) rethrows {
        writer.bytes.append(UInt8(ascii: "{"))
        var object = JSONObjectWriter(writer: writer)
        try body(&object)
        writer.bytes.append(UInt8(ascii: "}"))
    }

    private init(writer: JSONStreamWriter) {
        self.writer = writer
    }

    /// Member names are the schema's own identifiers: plain ASCII, nothing to escape.
    private mutating func key(_ name: StaticString) {
        if hasMembers { writer.bytes.append(UInt8(ascii: ",")) }
        hasMembers = true
        writer.bytes.append(UInt8(ascii: "\""))
        writer.bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        writer.bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        writer.writeString(value)
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        writer.writeBool(value)
    }

    mutating func integer(_ name: StaticString, _ value: Int) {
        key(name)
        writer.writeInteger(value)
    }

    mutating func date(_ name: StaticString, _ value: Date?) throws {
        guard let value else { return }
        key(name)
        try writer.writeDate(value)
    }

    mutating func object(_ name: StaticString, _ body: (inout JSONObjectWriter) throws -> Void) rethrows {
        key(name)
        try Self.object(in: writer, body)
    }

    mutating func array<Element>(_ name: StaticString, _ elements: [Element], _ element: (Element, inout JSONObjectWriter) throws -> Void) rethrows {
        key(name)
        writer.bytes.append(UInt8(ascii: "["))
        for (index, item) in elements.enumerated() {
            if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            try Self.object(in: writer) { try element(item, &$0) }
        }
        writer.bytes.append(UInt8(ascii: "]"))
    }
}

extension Components.Schemas.Customer: JSONStreamWritable {
    func writeJSON(to writer: JSONStreamWriter) throws {
        try JSONObjectWriter.object(in: writer) { object in
            object.string("id", id)
            object.string("resellerId", resellerId)
            object.string("name", name)
            object.string("cvr", cvr)
            object.string("externalRef", externalRef)
            object.string("status", status.rawValue)
            try object.date("terminatedAt", terminatedAt)
            if let extensionLength {
                object.object("extensionLength") { range in
                    range.integer("min", extensionLength.min)
                    range.integer("max", extensionLength.max)
                }
            }
            try object.date("createdAt", createdAt)
            try object.date("updatedAt", updatedAt)
        }
    }
}

extension Components.Schemas.Employee: JSONStreamWritable {
    func writeJSON(to writer: JSONStreamWriter) throws {
        try JSONObjectWriter.object(in: writer) { object in
            object.string("id", id)
            object.string("customerId", customerId)
            object.string("fullName", fullName)
            object.string("email", email)
            object.string("mobile", mobile)
            object.string("extension", _extension)
            object.string("directoryListing", directoryListing.rawValue)
            object.bool("marketingConsent", marketingConsent)
            object.bool("restricted", restricted)
            object.string("restrictionReason", restrictionReason)
            object.bool("anonymised", anonymised)
            func assignment(_ assignment: Components.Schemas.Assignment, _ item: inout JSONObjectWriter) throws {
                item.string("id", assignment.id)
                item.string("value", assignment.value)
                try item.date("assignedAt", assignment.assignedAt)
            }
            try object.array("numbers", numbers, assignment)
            try object.array("sims", sims, assignment)
            try object.array("faxToMail", faxToMail) { fax, item in
                item.string("id", fax.id)
                item.string("faxNumber", fax.faxNumber)
                item.string("deliveryEmail", fax.deliveryEmail)
                try item.date("createdAt", fax.createdAt)
            }
            try object.date("createdAt", createdAt)
            try object.date("updatedAt", updatedAt)
        }
    }
}
