internal import Foundation

/// How the portal writes times and sizes.
enum PortalFormat {
    /// `2026-12-02 15:26 UTC`: one unambiguous form in both languages.
    static func time(_ date: Date) -> String {
        let text = date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
        return String(text.prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    static func day(_ date: Date) -> String {
        String(time(date).prefix(10))
    }

    static func bytes(_ count: Int) -> String {
        count < 1024 ? "\(count) B" : count < 1 << 20 ? "\(count / 1024) KiB" : "\(count / (1 << 20)) MiB"
    }
}
