import Crypto
import Foundation

/// The signature a receiver checks to know a delivery came from Switchboard and was not altered or
/// replayed: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`. Signing the timestamp
/// with the body lets the receiver refuse old captures without keeping state.
package enum WebhookSignature {
    /// The request header that carries the signature.
    package static let headerName = "Switchboard-Signature"

    package static func header(body: [UInt8], secret: [UInt8], at date: Date) -> String {
        let timestamp = Int64(date.timeIntervalSince1970.rounded(.down))
        let mac = HMAC<SHA256>.authenticationCode(for: signedBytes(timestamp, body), using: SymmetricKey(data: secret))
        let hex = mac.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return "t=\(timestamp),v1=\(hex)"
    }

    /// Whether `header` signs `body` with `secret` at a time within `tolerance` of `now`. Any `v1`
    /// entry may match (a receiver can be sent several during a secret rotation); the comparison is
    /// constant-time. Malformed headers are false.
    package static func verify(header: String, body: [UInt8], secret: [UInt8], now: Date, tolerance: TimeInterval = 300) -> Bool {
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        for field in header.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = field.firstIndex(of: "=") else { return false }
            let key = field[..<equals], value = field[field.index(after: equals)...]
            switch key {
            case "t":
                guard timestamp == nil, (1...18).contains(value.count), value.allSatisfy({ $0.isASCII && $0.isNumber }),
                      let seconds = Int64(value)
                else { return false }
                timestamp = seconds
            case "v1":
                guard let mac = decodeHex(value), mac.count == SHA256.byteCount else { return false }
                candidates.append(mac)
            default:
                continue  // later schemes may add fields
            }
        }
        guard let timestamp, !candidates.isEmpty,
              abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance
        else { return false }
        let key = SymmetricKey(data: secret)
        let signed = signedBytes(timestamp, body)
        return candidates.contains { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: signed, using: key) }
    }

    private static func signedBytes(_ timestamp: Int64, _ body: [UInt8]) -> [UInt8] {
        Array("\(timestamp).".utf8) + body
    }

    /// Lower-case hexadecimal only, as `header` writes it.
    private static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
