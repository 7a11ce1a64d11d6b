internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardJobs
import SwitchboardStore

/// A reseller's webhook subscriptions and their delivery log (issue 16). A URL is a way into the
/// platform's network: it is checked here and again at every delivery (``WebhookDeliveryJob``).
extension APIService {
    package func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let url: WebhookURL
        do {
            url = try WebhookURL(validating: body.url, allowsPlainHTTP: webhooks.allowsLocalTrial)
        } catch {
            throw Problem.unprocessable("The webhook URL is refused: \(error.message).", type: "webhook-url-refused",
                                        errors: [.init(field: "url", rule: "webhook-url", message: error.message)])
        }
        if case .stopped(let attempt) = await webhookSender.checkAddresses(for: url) {
            // Which internal address a name resolves to is not the reseller's business (no map of the network).
            let reason = switch attempt {
            case .refused: "its name resolves to an address that is not public (loopback, private, link-local or otherwise internal)"
            case .failed: "its name does not resolve"
            case .delivered, .rejected: "its address cannot be used"
            }
            throw Problem.unprocessable("The webhook URL is refused: \(reason).", type: "webhook-url-refused",
                                        errors: [.init(field: "url", rule: "webhook-address", message: reason)])
        }
        guard (body.events ?? []).count <= Self.maximumEventTypes else {
            throw Problem.validation([.init(field: "events", rule: "maxItems", message: "must list at most \(Self.maximumEventTypes) event types")])
        }
        let events = Array(Set((body.events ?? []).map(\.rawValue))).sorted()
        let id = TimeOrderedID.make()
        let keys = vault.keys
        let secret = try await WebhookSecret.secret(for: id, in: keys)
        let subscription = try await transaction { principal, connection in
            guard let resellerID = principal.resellerID else { throw Problem.forbidden("Only a reseller subscribes to events.") }
            let webhooks = WebhookRepository(connection, logger: logger)
            // Each subscription gets every event: a cap keeps one reseller's fan-out bounded.
            guard try await webhooks.list().count < Self.maximumSubscriptions else {
                throw Problem.unprocessable("A reseller may have at most \(Self.maximumSubscriptions) webhook subscriptions; delete one first.",
                                            type: "webhook-limit", errors: [.init(field: "url", rule: "limit", message: "too many subscriptions")])
            }
            let subscription = try await webhooks.create(id: id, resellerID: resellerID, url: body.url, eventTypes: events)
            try await AuditLog.append(AuditEntry(action: "webhook.create", targetID: id, fields: ["url", "events"], resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
            return subscription
        }
        return .created(.init(body: .json(.init(webhook: .init(subscription), secret: secret.map { String(format: "%02x", $0) }.joined()))))
    }

    package func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let subscriptions = try await transaction { _, connection in try await WebhookRepository(connection, logger: logger).list() }
        return .ok(.init(body: .json(.init(items: subscriptions.map(Components.Schemas.Webhook.init)))))
    }

    package func getWebhook(_ input: Operations.GetWebhook.Input) async throws -> Operations.GetWebhook.Output {
        let id = try RequestValues.id(input.path.webhookId, field: "webhookId")
        let subscription = try await transaction { _, connection in try await WebhookRepository(connection, logger: logger).get(id) }
        guard let subscription else { throw Self.noSuchWebhook }
        return .ok(.init(body: .json(.init(subscription))))
    }

    package func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let id = try RequestValues.id(input.path.webhookId, field: "webhookId")
        try await transaction { principal, connection in
            guard try await WebhookRepository(connection, logger: logger).delete(id) else { throw Self.noSuchWebhook }
            try await AuditLog.append(AuditEntry(action: "webhook.delete", targetID: id, resellerID: principal.resellerID),
                                      by: principal, on: connection, logger: logger)
        }
        // After the commit: a secret destroyed for a deletion that rolled back would break a live subscription.
        try await WebhookSecret.destroy(for: id, in: vault.keys)
        return .noContent(.init())
    }

    package func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws -> Operations.ListWebhookDeliveries.Output {
        let id = try RequestValues.id(input.path.webhookId, field: "webhookId")
        let limit = try RequestValues.limit(input.query.limit)
        let cursor = try input.query.cursor.map(Self.caseCursor)
        let page = try await transaction { _, connection in
            let webhooks = WebhookRepository(connection, logger: logger)
            guard try await webhooks.get(id) != nil else { throw Self.noSuchWebhook }
            return try await webhooks.deliveries(of: id, before: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(
            items: page.items.map(Components.Schemas.WebhookDelivery.init),
            nextCursor: page.nextCursor.map(Self.timeCursorText)
        ))))
    }

    package func redeliverWebhook(_ input: Operations.RedeliverWebhook.Input) async throws -> Operations.RedeliverWebhook.Output {
        let id = try RequestValues.id(input.path.webhookId, field: "webhookId")
        let deliveryID = try RequestValues.id(input.path.deliveryId, field: "deliveryId")
        let delivery = try await transaction { principal, connection in
            guard let delivery = try await WebhookRepository(connection, logger: logger).redeliver(deliveryID, of: id, at: Date()) else {
                throw Problem.notFound("No such delivery of this webhook.")
            }
            try await AuditLog.append(AuditEntry(action: "webhook.redeliver", targetID: deliveryID, resellerID: principal.resellerID),
                                      by: principal, on: connection, logger: logger)
            return delivery
        }
        return .accepted(.init(body: .json(.init(delivery))))
    }

    static let noSuchWebhook = Problem.notFound("No such webhook.")
    static let maximumSubscriptions = 10
    static let maximumEventTypes = 20
}

extension Components.Schemas.Webhook {
    init(_ record: WebhookSubscriptionRecord) {
        self.init(id: record.id.apiString, url: record.url, events: record.eventTypes.compactMap { .init(rawValue: $0) }, createdAt: record.createdAt)
    }
}

extension Components.Schemas.WebhookDelivery {
    init(_ record: WebhookDeliveryRecord) {
        self.init(
            id: record.id.apiString, eventId: record.eventID.apiString, eventType: record.eventType,
            state: .init(rawValue: record.state.rawValue)!, attempts: record.attempts, nextAttemptAt: record.nextAttemptAt,
            lastAttemptAt: record.lastAttemptAt, lastStatus: record.lastStatus, lastError: record.lastError,
            deliveredAt: record.deliveredAt, body: record.body, createdAt: record.createdAt
        )
    }
}
