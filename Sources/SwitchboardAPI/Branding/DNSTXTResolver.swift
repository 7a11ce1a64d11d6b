internal import Foundation  // only to read /etc/resolv.conf once, at init
import NIOCore
import NIOPosix

/// The production ``TXTRecordResolver``: a minimal DNS client that sends one UDP query (see
/// ``DNSMessage``) to each nameserver in turn until one answers.
///
/// Everything after `init` runs on NIO event loops and never blocks a thread: nameservers are IP
/// literals (no `getaddrinfo`), and every wait is bounded by `timeout` per nameserver.
package struct DNSTXTResolver: TXTRecordResolver {
    package static let defaultPort = 53
    package static let resolvConfPath = "/etc/resolv.conf"

    /// Parsed at init; an unusable entry given explicitly is reported at lookup time, since init can't throw.
    private let nameservers: Result<[SocketAddress], DNSLookupError>
    private let timeout: Duration
    private let eventLoopGroup: any EventLoopGroup

    /// - Parameters:
    ///   - nameservers: IP literals, each optionally with a port: `1.2.3.4`, `1.2.3.4:5353`, `::1`,
    ///     `[::1]:5353`; a link-local IPv6 literal may carry its `%scope`. `nil` reads the `nameserver`
    ///     lines of /etc/resolv.conf, skipping entries that are not IP literals.
    ///   - timeout: How long to wait for each nameserver before trying the next.
    ///   - eventLoopGroup: A NIOPosix group (DatagramBootstrap requires one).
    package init(
        nameservers: [String]? = nil,
        timeout: Duration = .seconds(3),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        if let nameservers {
            self.nameservers = Result { () throws(DNSLookupError) in try nameservers.map(Self.nameserverAddress) }
        } else {
            // A small local file read once at start-up; lookups themselves never touch the disk.
            let resolvConf = (try? String(contentsOfFile: Self.resolvConfPath, encoding: .utf8)) ?? ""
            self.nameservers = .success(
                Self.nameserverEntries(inResolvConf: resolvConf).compactMap { try? Self.nameserverAddress($0) }
            )
        }
        self.timeout = timeout
        self.eventLoopGroup = eventLoopGroup
    }

    package func txtRecords(named name: String) async throws -> [String] {
        let servers = try nameservers.get()
        _ = try DNSMessage.encodeName(name)  // a bad name is the caller's mistake: fail before any traffic
        guard !servers.isEmpty else {
            throw DNSLookupError.noNameserver
        }
        var lastFailure = DNSLookupError.noNameserver
        for server in servers {
            try Task.checkCancellation()
            do {
                return try await query(server, for: name)
            } catch let failure as DNSLookupError {
                lastFailure = failure
            }
        }
        throw lastFailure
    }

    /// One query to one nameserver, on its own UDP socket (a fresh random source port and a random ID,
    /// so a forged answer has to guess both). The socket is connected, so the kernel drops datagrams
    /// from other addresses and reports ICMP port unreachable instead of leaving us to time out.
    private func query(_ server: SocketAddress, for name: String) async throws -> [String] {
        let serverLabel = Self.label(server)
        let queryID = UInt16.random(in: .min ... .max)
        let query = try DNSMessage.txtQuery(id: queryID, name: name)
        let timeout = self.timeout
        do {
            let channel = try await DatagramBootstrap(group: eventLoopGroup)
                .connect(to: server) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, ByteBuffer>(
                            wrappingChannelSynchronously: channel
                        )
                    }
                }
            // executeThenClose closes the channel whether the body returns or throws.
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: query))
                return try await withThrowingTaskGroup(of: [String].self) { group in
                    group.addTask {
                        for try await datagram in inbound {
                            let message = Array(datagram.data.readableBytesView)
                            guard datagram.remoteAddress == server, DNSMessage.messageID(of: message) == queryID else {
                                continue  // a stray or late datagram, not the answer to this query
                            }
                            return try DNSMessage.txtRecords(fromResponse: message, queryID: queryID)
                        }
                        throw DNSLookupError.unreachable(server: serverLabel)  // the channel closed under us
                    }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        throw DNSLookupError.timedOut(server: serverLabel)
                    }
                    defer { group.cancelAll() }
                    guard let records = try await group.next() else {
                        throw DNSLookupError.timedOut(server: serverLabel)
                    }
                    return records
                }
            }
        } catch {
            // Cancelled: whichever child ended first, stop here rather than try the next nameserver.
            if Task.isCancelled || error is CancellationError {
                throw CancellationError()
            }
            if let failure = error as? DNSLookupError {
                throw failure
            }
            // Socket errors: no route to the server, or ECONNREFUSED from an ICMP port unreachable.
            throw DNSLookupError.unreachable(server: serverLabel)
        }
    }

    /// The `nameserver` entries of a resolv.conf file, in order.
    package static func nameserverEntries(inResolvConf text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            return String(fields[1])
        }
    }

    /// `1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353` as a socket address; port 53 unless given.
    /// IP literals only: resolving a host name here would need DNS (and a blocking `getaddrinfo`).
    /// (NIO parses a `%scope` suffix numerically, without any lookup.)
    package static func nameserverAddress(_ entry: String) throws(DNSLookupError) -> SocketAddress {
        var host = Substring(entry)
        var portText: Substring?
        if entry.hasPrefix("[") {
            guard let closing = entry.firstIndex(of: "]") else { throw .invalidNameserver(entry) }
            host = entry[entry.index(after: entry.startIndex)..<closing]
            let rest = entry[entry.index(after: closing)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw .invalidNameserver(entry) }
                portText = rest.dropFirst()
            }
        } else if entry.count(where: { $0 == ":" }) == 1, let colon = entry.firstIndex(of: ":") {
            host = entry[..<colon]
            portText = entry[entry.index(after: colon)...]
        }  // otherwise a bare IPv4 or IPv6 literal
        var port = defaultPort
        if let portText {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw .invalidNameserver(entry)
            }
            port = parsed
        }
        do {
            return try SocketAddress(ipAddress: String(host), port: port)
        } catch {
            throw .invalidNameserver(entry)
        }
    }

    /// `1.2.3.4:53` or `[::1]:53`, for error messages.
    private static func label(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "\(address)"
        let port = address.port.map(String.init) ?? "?"
        if case .v6 = address {
            return "[\(host)]:\(port)"
        }
        return "\(host):\(port)"
    }
}
