internal import Foundation
import HTTPTypes

/// The response headers `openapi.yaml` declares, restored to the exact text the handler wrote.
///
/// swift-openapi-runtime writes typed header values with its URI coder, so `ETag: "1"` leaves as
/// `%221%22` and a `Location` as `%2Fv1%2F…` (apple/swift-openapi-generator issues 529, 827, 857).
/// Its coder percent-encodes every byte outside the unreserved set and nothing else (spaces as
/// `%20`, never `+`, for header fields), so percent-decoding is its exact inverse. Decoding here,
/// in the one wrapper every operation passes through, keeps the typed headers (and the contract's
/// check of them) while the wire carries what RFC 9110 expects.
enum ContractResponseHeaders {
    /// Every response header name the contract declares (a test compares this with openapi.yaml).
    /// (`WWW-Authenticate` and `Allow` come from problem documents, never through the URI coder,
    /// but are listed so the rule stays "every declared header".)
    static let names: [HTTPField.Name] = [.eTag, .location, .contentDisposition, .requestID, .wwwAuthenticate, .allow, .retryAfter, reprDigest]

    /// RFC 9530's digest of a representation (a disclosure export's checksum).
    static let reprDigest = HTTPField.Name("Repr-Digest")!

    static func restoreVerbatim(_ fields: inout HTTPFields) {
        for name in names {
            guard let encoded = fields[name], encoded.contains("%"), let written = encoded.removingPercentEncoding else { continue }
            fields[name] = written
        }
    }
}
