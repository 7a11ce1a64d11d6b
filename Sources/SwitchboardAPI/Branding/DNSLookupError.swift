/// Why a TXT lookup through ``DNSTXTResolver`` (or the wire format in ``DNSMessage``) failed.
///
/// An absent name is not an error: NXDOMAIN answers with no records.
package enum DNSLookupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No nameserver was given and /etc/resolv.conf names none that can be used.
    case noNameserver
    /// A configured nameserver is not an IP literal with an optional port.
    case invalidNameserver(String)
    /// The name to look up is not a valid DNS name (so nothing was sent).
    case invalidName(String)
    /// The nameserver sent no matching response within the timeout.
    case timedOut(server: String)
    /// The nameserver could not be reached (no route, or nothing listening: ICMP port unreachable).
    case unreachable(server: String)
    /// The nameserver answered with an error code other than NXDOMAIN (e.g. 2 SERVFAIL, 5 REFUSED).
    case serverFailure(rcode: UInt8)
    /// The response had the TC bit set. We do not retry over TCP: TXT verification records are short.
    case truncated
    /// The response does not follow the DNS wire format (or does not answer our query).
    case malformedResponse(reason: String)

    package var description: String {
        switch self {
        case .noNameserver:
            return "no DNS nameserver configured (none given and no usable nameserver line in /etc/resolv.conf)"
        case .invalidNameserver(let entry):
            return "nameserver \"\(entry)\" is not an IP address with an optional port (1.2.3.4, 1.2.3.4:5353, ::1, [::1]:5353)"
        case .invalidName(let name):
            return "\"\(name)\" is not a valid DNS name (labels of 1–63 letters, digits, '-' or '_'; at most 253 characters)"
        case .timedOut(let server):
            return "DNS nameserver \(server) did not answer in time"
        case .unreachable(let server):
            return "DNS nameserver \(server) could not be reached"
        case .serverFailure(let rcode):
            return "DNS nameserver answered with error code \(rcode) (\(Self.rcodeName(rcode)))"
        case .truncated:
            return "DNS response was truncated (TC bit set); lookups over TCP are not supported"
        case .malformedResponse(let reason):
            return "malformed DNS response: \(reason)"
        }
    }

    private static func rcodeName(_ rcode: UInt8) -> String {
        switch rcode {
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        default: return "RCODE \(rcode)"
        }
    }
}
