import Foundation
import NIOCore

/// A reseller's webhook endpoint, validated whenever its text is taken in (when saved, when read back).
/// The text is parsed here by hand and then cross-checked against Foundation's URLComponents: the
/// two must agree, so that no oddity one parser reads differently from the other (a stray `@`, a
/// backslash, a numeric host) can point a delivery somewhere the reseller's URL did not seem to say.
/// Whether the host's addresses are public is not judged here but at delivery
/// (`WebhookAddressPolicy`), since DNS can change between saving and sending.
package struct WebhookURL: Sendable, Equatable {
    package static let maximumLength = 2048

    /// "https", or "http" where plain HTTP was allowed.
    package let scheme: String
    /// Lower-cased host name, or an IP address (IPv6 without its brackets).
    package let host: String
    /// The explicit port, or the scheme's default.
    package let port: Int
    /// The request target: the path (at least "/") and the query, if any.
    package let pathAndQuery: String

    package init(validating text: String, allowsPlainHTTP: Bool) throws(WebhookURLRefusal) {
        guard text.utf8.count <= Self.maximumLength else { throw .tooLong(limit: Self.maximumLength) }
        // Printable ASCII only: whitespace and control characters could split the request line, and
        // a backslash is read as "/" by some URL parsers and not by others.
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f && $0 != "\\" }) else {
            throw .invalidCharacters
        }
        guard !text.contains("#") else { throw .fragment }
        guard let separator = text.range(of: "://") else { throw .notAbsolute }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard let first = scheme.first, first.isLetter,
              scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
        else { throw .notAbsolute }
        switch scheme {
        case "https": break
        case "http": guard allowsPlainHTTP else { throw .plainHTTPNotAllowed }
        default: throw .unsupportedScheme(scheme)
        }

        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { throw .credentials }
        guard !authority.isEmpty else { throw .missingHost }

        let host: String
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidHost }
            host = authority[authority.index(after: authority.startIndex)..<close].lowercased()
            let afterHost = authority[authority.index(after: close)...]
            if afterHost.isEmpty {
                portText = nil
            } else if afterHost.hasPrefix(":") {
                portText = afterHost.dropFirst()
            } else {
                throw .invalidHost
            }
            // A zone ("%25eth0") or an IPv4 address in brackets is not a plain IPv6 address.
            guard host.contains(":"), !host.contains("%"), Self.isIPAddress(host) else { throw .invalidHost }
        } else {
            let colon = authority.firstIndex(of: ":")
            host = authority[..<(colon ?? authority.endIndex)].lowercased()
            portText = colon.map { authority[authority.index(after: $0)...] }
            try Self.checkHostName(host)
        }
        guard !host.isEmpty else { throw .missingHost }

        let port: Int
        if let portText {
            guard (1...5).contains(portText.count), portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(portText), (1...65_535).contains(number)
            else { throw .invalidPort }
            port = number
        } else {
            port = scheme == "https" ? 443 : 80
        }

        // The path and query go into the request line exactly as written, so they must already be a
        // valid URI: Foundation would quietly percent-encode a stray "{" or "%zz", and then the URL
        // checked would no longer be the one sent.
        let target = rest[authorityEnd...]
        guard target.allSatisfy({ $0.isLetter || $0.isNumber || "-._~!$&'()*+,;=:@/?%".contains($0) }) else {
            throw .invalidCharacters
        }
        guard Self.hasValidPercentEncoding(target) else { throw .invalidPercentEncoding }

        // Foundation must read the same URL: any disagreement means the text is ambiguous.
        guard let components = URLComponents(string: text),
              components.scheme?.lowercased() == scheme,
              components.user == nil, components.password == nil, components.fragment == nil,
              let foundationHost = components.host,
              foundationHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased() == host,
              components.port == portText.flatMap({ Int($0) }),
              components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "") == target
        else { throw .malformed }

        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathAndQuery = target.hasPrefix("/") ? String(target) : "/" + target
    }

    /// Whether the host is an IP address rather than a name: such a host gets no DNS lookup and no SNI.
    package var hostIsIPAddress: Bool { Self.isIPAddress(host) }

    /// The Host header: the port only when it is not the scheme's default, IPv6 in brackets.
    package var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (scheme == "https" ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Every "%" starts a two-hex-digit escape.
    private static func hasValidPercentEncoding(_ text: Substring) -> Bool {
        var rest = text[...]
        while let percent = rest.firstIndex(of: "%") {
            let escape = rest[rest.index(after: percent)...].prefix(2)
            guard escape.count == 2, escape.allSatisfy(\.isHexDigit) else { return false }
            rest = rest[escape.endIndex...]
        }
        return true
    }

    private static func isIPAddress(_ text: String) -> Bool {
        (try? SocketAddress(ipAddress: text, port: 0)) != nil
    }

    /// A DNS name or a dotted-quad IPv4 address. A host whose last label is numeric ("127.1",
    /// "2130706433", "0x7f.1") must be a strict dotted quad: resolvers read such shorthands as IPv4.
    private static func checkHostName(_ host: String) throws(WebhookURLRefusal) {
        guard !host.isEmpty else { throw .missingHost }
        guard host.utf8.count <= 254,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
        else { throw .invalidHost }
        var labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1, labels.last == "" { labels.removeLast() }
        guard labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else { throw .invalidHost }
        let last = labels[labels.count - 1]
        let isNumeric = last.allSatisfy(\.isNumber)
            || (last.lowercased().hasPrefix("0x") && last.dropFirst(2).allSatisfy(\.isHexDigit))
        if isNumeric, !(host.allSatisfy { $0.isNumber || $0 == "." } && isIPAddress(host)) {
            throw .numericHostNotDottedQuad
        }
    }
}
