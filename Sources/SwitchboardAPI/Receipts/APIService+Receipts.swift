internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// Signed receipts (issue 16): erasures and answered requests, verifiable offline by anyone with
/// the published public keys (`switchboard receipt verify FILE`).
extension APIService {
    package func getReceiptPublicKeys(_ input: Operations.GetReceiptPublicKeys.Input) async throws -> Operations.GetReceiptPublicKeys.Output {
        let keys = try await database.transaction(.readiness, logger: logger) { connection in
            try await ReceiptKeyring.publicKeys(on: connection, logger: logger)
        }
        return .ok(.init(body: .json(.init(
            algorithm: .ed25519,
            currentKeyId: keys.first { $0.retiredAt == nil }?.keyID.apiString,
            keys: keys.map { .init(keyId: $0.keyID.apiString, publicKey: Data($0.publicKey).base64EncodedString(), createdAt: $0.createdAt, retiredAt: $0.retiredAt) }
        ))))
    }

    package func getReceipt(_ input: Operations.GetReceipt.Input) async throws -> Operations.GetReceipt.Output {
        let id = try RequestValues.id(input.path.receiptId, field: "receiptId")
        let receipt = try await transaction { _, connection in try await ReceiptRepository(connection, logger: logger).get(id) }
        guard let receipt else { throw Problem.notFound("No such receipt.") }
        return .ok(.init(body: .json(try SignedReceiptDocument.schema(receipt))))
    }

    /// Signs the receipt of an erasure that happened in this transaction.
    func issueAnonymisationReceipt(_ result: AnonymisationResult, employeeID: UUID, locked: EmployeeLock, requestID: UUID?,
                                   on connection: PostgresConnection) async throws -> IssuedReceipt {
        let signer = try await receipts.currentSigner(on: connection, logger: logger)
        var fields = try SignedReceiptDocument.members(of: AnonymisationReceipt.make(employeeID: employeeID, result: result))
        // A receipt is kept for good: it counts the released numbers and SIM cards rather than naming
        // them, so it never links a number to the erased person (found by attack).
        fields["released"] = .object([
            "numbers": .integer(Int64(result.numbersReleased.count)), "sims": .integer(Int64(result.simsReleased.count)),
            "faxToMail": .integer(Int64(result.faxToMailRemoved.count)),
        ])
        let receipt = try await ReceiptRepository(connection, logger: logger).issue(
            .init(kind: "anonymisation", resellerID: locked.resellerID, customerID: locked.customerID, employeeID: employeeID, requestID: requestID),
            fields: fields, signedBy: signer, at: result.anonymisedAt
        )
        try await WebhookOutbox.emit(.receiptIssued, ["receiptId": .string(receipt.id.apiString), "employeeId": .string(employeeID.apiString)],
                                     on: connection, logger: logger)
        return receipt
    }
}
