import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// Writes events into the outbox inside the caller's transaction, so an event is delivered if and
/// only if what it reports committed. Payloads: ids and dates, never personal data.
package enum WebhookOutbox {
    /// An event of the request's own reseller (the reseller's or a manager's act).
    @discardableResult
    package static func emit(_ type: WebhookEventType, _ payload: [String: CanonicalJSON], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await enqueue("sb.emit_event", type, payload, on: connection, logger: logger)
    }

    /// An event for every reseller (the platform's own changes, such as its sub-processors).
    @discardableResult
    package static func broadcast(_ type: WebhookEventType, _ payload: [String: CanonicalJSON], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await enqueue("sb.broadcast_event", type, payload, on: connection, logger: logger)
    }

    /// Calls one of the two outbox functions; returns how many deliveries it wrote.
    private static func enqueue(_ function: StaticString, _ type: WebhookEventType, _ payload: [String: CanonicalJSON],
                                on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let json = String(decoding: CanonicalJSON.object(payload).canonicalBytes, as: UTF8.self)
        return Int(try await connection.query("SELECT \(unescaped: "\(function)")(\(type.rawValue), \(json)::jsonb)", logger: logger)
            .collect().first?.decode(Int32.self) ?? 0)
    }
}
