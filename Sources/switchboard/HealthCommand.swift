import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchboardAPI

/// The container's probe: asks a running server for `/health` (or `/ready`) over HTTP and exits 0
/// only on a 200. The image has no shell tools to do this (Debian's `/bin/sh` is dash, which has no
/// `/dev/tcp`), so the binary probes itself. Every wait is bounded by `--timeout`.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probe a running server: exit 0 when GET /health (with --ready: /ready) answers 200, else 1."
    )

    @Option(help: "Server address to probe (default: SWITCHBOARD_HOST, where a wildcard address means this machine).")
    var host: String?

    @Option(help: "Server port to probe (default: SWITCHBOARD_PORT or 8080).")
    var port: Int?

    @Flag(help: "Probe /ready (database reachable and migrated) instead of /health (process alive).")
    var ready = false

    @Option(help: "Seconds to wait for the whole answer.")
    var timeout: Double = 3

    func validate() throws {
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds") }
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() async throws {
        var flags: [SwitchboardSetting: String] = [:]
        flags[.host] = host
        flags[.port] = port.map(String.init)
        let configuration: SwitchboardConfiguration
        do {
            configuration = try SwitchboardConfiguration(flags: flags, environment: ProcessInfo.processInfo.environment, scope: .serve)
        } catch let error as SwitchboardConfigurationError {
            throw ValidationError(error.description)
        }
        // A server listening on every address is reached on loopback.
        let target = ["0.0.0.0", "::", "[::]", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        let path = ready ? "/ready" : "/health"
        do {
            let status = try await Self.status(host: target, port: configuration.port, path: path, timeout: .milliseconds(Int64(timeout * 1000)))
            guard status == 200 else {
                print("unhealthy: GET \(path) on \(target):\(configuration.port) answered \(status)")
                throw ExitCode.failure
            }
            print("ok: GET \(path) on \(target):\(configuration.port) answered 200")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("unhealthy: GET \(path) on \(target):\(configuration.port) failed: \(error)")
            throw ExitCode.failure
        }
    }

    /// The status code of one GET, or an error when nothing answers within `timeout`.
    static func status(host: String, port: Int, path: String, timeout: TimeAmount) async throws -> UInt {
        try await withThrowingTaskGroup(of: UInt.self) { group in
            group.addTask {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(timeout)
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                        }
                    }
                return try await channel.executeThenClose { inbound, outbound in
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    head.headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(head))
                    try await outbound.write(.end(nil))
                    for try await part in inbound {
                        if case .head(let response) = part { return response.status.code }
                    }
                    throw ProbeError.noAnswer
                }
            }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                throw ProbeError.timedOut(seconds: Double(timeout.nanoseconds) / 1e9)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    enum ProbeError: Error, CustomStringConvertible {
        case noAnswer
        case timedOut(seconds: Double)

        var description: String {
            switch self {
            case .noAnswer: "the connection closed without an HTTP answer"
            case .timedOut(let seconds): "no answer within \(seconds) s"
            }
        }
    }
}
