/// Why a reseller's webhook URL was not accepted. Each `message` says what to change, since it is
/// shown to the reseller who typed the URL.
package enum WebhookURLRefusal: Error, Sendable, Equatable {
    case tooLong(limit: Int)
    case invalidCharacters
    case invalidPercentEncoding
    case notAbsolute
    case unsupportedScheme(String)
    case plainHTTPNotAllowed
    case credentials
    case missingHost
    case invalidHost
    case numericHostNotDottedQuad
    case fragment
    case invalidPort
    case malformed

    package var message: String {
        switch self {
        case .tooLong(let limit):
            "The webhook URL is longer than \(limit) bytes; use a shorter URL."
        case .invalidCharacters:
            "The webhook URL contains characters a URL cannot hold as they are (spaces, control characters, "
                + "backslashes, quotes, <>[]{}|^` in the path or query, non-ASCII letters); percent-encode them, "
                + "and write an international host name in its xn-- form."
        case .invalidPercentEncoding:
            "The webhook URL has a % that is not followed by two hexadecimal digits; write a literal % as %25."
        case .notAbsolute:
            "The webhook URL must be absolute, such as https://example.com/webhooks."
        case .unsupportedScheme(let scheme):
            "The webhook URL's scheme \"\(scheme)\" is not supported; use https://."
        case .plainHTTPNotAllowed:
            "Plain http:// webhook URLs are not accepted; use https://."
        case .credentials:
            "The webhook URL contains a user name or password (before an @); remove it: "
                + "deliveries are authenticated by their signature header instead."
        case .missingHost:
            "The webhook URL has no host name; write it as https://host/path."
        case .invalidHost:
            "The webhook URL's host is neither a valid host name nor an IP address; "
                + "use letters, digits, hyphens and dots, or an IPv6 address in brackets."
        case .numericHostNotDottedQuad:
            "The webhook URL's host looks like a number but is not a dotted IPv4 address; "
                + "write an IPv4 address as four decimal numbers, such as 8.8.8.8."
        case .fragment:
            "The webhook URL contains a fragment (#…), which is never sent to a server; remove it."
        case .invalidPort:
            "The webhook URL's port must be a number from 1 to 65535."
        case .malformed:
            "The webhook URL could not be parsed; check it for typos."
        }
    }
}
