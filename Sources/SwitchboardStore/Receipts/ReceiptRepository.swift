import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Signed receipts, kept as issued (canonical JSON with its signature) in the caller's scope.
package struct ReceiptRepository: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    package init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// What a receipt is about; its `fields` are signed together with these.
    package struct Subject: Sendable {
        package var kind: String
        package var resellerID: UUID
        package var customerID: UUID
        package var employeeID: UUID
        package var requestID: UUID?

        package init(kind: String, resellerID: UUID, customerID: UUID, employeeID: UUID, requestID: UUID? = nil) {
            self.kind = kind
            self.resellerID = resellerID
            self.customerID = customerID
            self.employeeID = employeeID
            self.requestID = requestID
        }
    }

    /// Signs and stores a receipt in the caller's transaction; returns its id and document.
    package func issue(_ subject: Subject, fields: [String: CanonicalJSON], signedBy key: ReceiptSigningKey, at now: Date) async throws -> IssuedReceipt {
        let id = UUID()
        // Whole seconds: the receipt's times read the same in every JSON rendering of it.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        var members = fields
        members["receiptId"] = .string(id.uuidString.lowercased())
        members["kind"] = .string(subject.kind)
        members["issuedAt"] = .string(CanonicalJSON.timestamp(issuedAt))
        members["resellerId"] = .string(subject.resellerID.uuidString.lowercased())
        members["customerId"] = .string(subject.customerID.uuidString.lowercased())
        members["employeeId"] = .string(subject.employeeID.uuidString.lowercased())
        if let request = subject.requestID { members["requestId"] = .string(request.uuidString.lowercased()) }
        let document = String(decoding: try key.sign(.object(members)).canonicalBytes, as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO sb.receipts (reseller_id, customer_id, id, kind, employee_id, request_id, key_id, document, issued_at)
            VALUES (\(subject.resellerID), \(subject.customerID), \(id), \(subject.kind), \(subject.employeeID), \(subject.requestID),
                    \(key.keyID), \(document), \(issuedAt))
            """,
            logger: logger
        )
        return IssuedReceipt(id: id, document: document)
    }

    package func get(_ id: UUID) async throws -> IssuedReceipt? {
        try await connection.query("SELECT id, document FROM sb.receipts WHERE id = \(id)", logger: logger).collect().first.map { row in
            let (id, document) = try row.decode((UUID, String).self)
            return IssuedReceipt(id: id, document: document)
        }
    }
}

/// A receipt as issued: its id and the signed document's exact text.
package struct IssuedReceipt: Sendable, Equatable {
    package let id: UUID
    package let document: String
}
