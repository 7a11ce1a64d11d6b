import Foundation

extension CanonicalJSON {
    /// A time as receipts and event payloads write it: RFC 3339 in UTC with whole seconds
    /// (`2026-12-02T23:36:10Z`), so it reads the same in every rendering of the JSON.
    package static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
