import Foundation

/// A minimal browser for the portal over a real socket: it sends the `Host` header a brand's
/// hostname needs (the in-process test client cannot), keeps cookies, and reads whole responses.
/// Redirects are not followed, so tests see each 303 and its `Location`.
final class PortalBrowser: @unchecked Sendable {
    struct Page: Sendable {
        let status: Int
        /// Header names lower-cased, in order (`set-cookie` may repeat).
        let headers: [(name: String, value: String)]
        let body: String

        func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }
        func headers(_ name: String) -> [String] { headers.filter { $0.name == name.lowercased() }.map(\.value) }

        /// The `value` of the first `<input>` named `name` (HTML entities for quotes decoded).
        func inputValue(_ name: String) -> String? {
            guard let range = body.range(of: "name=\"\(name)\" value=\"") else { return nil }
            let rest = body[range.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            return String(rest[..<end]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        }

        /// Whether an element with this id is on the page.
        func has(id: String) -> Bool { body.contains("id=\"\(id)\"") }
    }

    let port: Int
    var host: String
    /// name → value, as the server last set them.
    private(set) var cookies: [String: String] = [:]
    /// Every `Set-Cookie` line received, for attribute checks.
    private(set) var setCookieLines: [String] = []

    init(port: Int, host: String) {
        self.port = port
        self.host = host
    }

    func get(_ path: String) async throws -> Page {
        try await send("GET", path, body: nil)
    }

    /// Posts a form (`application/x-www-form-urlencoded`), fields in order.
    func post(_ path: String, _ fields: [(String, String)]) async throws -> Page {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send("POST", path, body: body)
    }

    func forget(cookie name: String) { cookies[name] = nil }

    func setCookie(_ name: String, _ value: String) { cookies[name] = value }

    func send(_ method: String, _ path: String, body: String?) async throws -> Page {
        let socket = try RawHTTPSocket(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        if !cookies.isEmpty {
            request += "Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") + "\r\n"
        }
        if let body {
            request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        request += "\r\n" + (body ?? "")
        socket.send(request)
        let (received, _) = await socket.readUntilClosed(limit: .seconds(15))
        let page = try Self.parse(received)
        for line in page.headers("set-cookie") {
            setCookieLines.append(line)
            let pair = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { continue }
            if line.lowercased().contains("max-age=0") { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
        }
        return page
    }

    static func parse(_ text: String) throws -> Page {
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("no complete response: \(text.prefix(200))") }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw TestFailure("bad status line: \(head.first ?? "")")
        }
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Page(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    static func encode(_ value: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
