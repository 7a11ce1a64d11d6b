internal import Foundation
internal import OpenAPIRuntime
import SwitchboardDomain
import SwitchboardStore

/// A stored receipt as the contract's `SignedReceipt`: decoded from the signed text, so every
/// member (known or not) goes out with the value that was signed.
enum SignedReceiptDocument {
    static func schema(_ receipt: IssuedReceipt) throws -> Components.Schemas.SignedReceipt {
        try JSONDecoder().decode(Components.Schemas.SignedReceipt.self, from: Data(receipt.document.utf8))
    }

    /// Contract values (dates as the API writes them) as canonical JSON members, for signing and digests.
    static func members(of value: some Encodable) throws -> [String: CanonicalJSON] {
        let encoder = JSONEncoder()
        let dates = RFC3339DateTranscoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try dates.encode(date))
        }
        guard case .object(let members) = try CanonicalJSON(parsing: Array(try encoder.encode(value))) else {
            preconditionFailure("a contract object encodes as a JSON object")
        }
        return members
    }
}
