import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP client that can misbehave the way attackers do (stall, trickle), for testing the
/// server's connection limits over a real socket. Blocking calls run on a Dispatch thread, never
/// on the test's cooperative pool.
final class RawHTTPSocket: @unchecked Sendable {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(descriptor); throw TestFailure("connect() failed: \(errno)") }
        // Short receive timeouts let the readers below poll for a close.
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// False once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        send(bytes: Array(text.utf8))
    }

    /// Sends every byte (looping over partial writes); false once the server has closed the connection.
    @discardableResult
    func send(bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    /// What arrives until the server closes the connection or `limit` passes; `closedAfter` is nil if it stayed open.
    func readUntilClosed(limit: Duration) async -> (received: String, closedAfter: Duration?) {
        await readUntil(limit: limit) { _ in false }
    }

    /// Reads until `done` says the received text is enough, the server closes, or `limit` passes.
    func readUntil(limit: Duration, _ done: @escaping @Sendable (String) -> Bool) async -> (received: String, closedAfter: Duration?) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [self] in
                continuation.resume(returning: blockingRead(limit: limit, done))
            }
        }
    }

    /// Sends `line` every `interval` while watching for the server to close, up to `limit`.
    func trickle(_ line: @escaping @Sendable (Int) -> String, every interval: Duration, limit: Duration) async -> (received: String, closedAfter: Duration?) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [self] in
                let started = ContinuousClock.now
                var received = ""
                var index = 0
                while ContinuousClock.now - started < limit {
                    send(line(index))
                    index += 1
                    let (more, closed) = blockingRead(limit: interval) { _ in false }
                    received += more
                    if closed != nil {
                        continuation.resume(returning: (received, ContinuousClock.now - started))
                        return
                    }
                }
                continuation.resume(returning: (received, nil))
            }
        }
    }

    private func blockingRead(limit: Duration, _ done: (String) -> Bool) -> (String, Duration?) {
        let started = ContinuousClock.now
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now - started < limit {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
                if done(String(decoding: received, as: UTF8.self)) { return (String(decoding: received, as: UTF8.self), nil) }
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return (String(decoding: received, as: UTF8.self), ContinuousClock.now - started)
            }
        }
        return (String(decoding: received, as: UTF8.self), nil)
    }
}
