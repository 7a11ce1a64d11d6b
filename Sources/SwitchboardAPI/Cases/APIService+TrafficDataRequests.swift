internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The platform's part of a case: traffic data is its own controller data under the logging duty,
/// so it answers for it, seeing the numbers and the period only.
extension APIService {
    package func listTrafficDataRequests(_ input: Operations.ListTrafficDataRequests.Input) async throws -> Operations.ListTrafficDataRequests.Output {
        let limit = try RequestValues.limit(input.query.limit)
        let cursor = try RequestValues.cursor(input.query.cursor)
        let page = try await transaction { _, connection in
            try await TrafficDataRequestRepository(connection, logger: logger).listForPlatform(answered: input.query.answered, after: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0, platform: true) }, nextCursor: page.nextCursor?.apiString))))
    }

    package func answerTrafficDataRequest(_ input: Operations.AnswerTrafficDataRequest.Input) async throws -> Operations.AnswerTrafficDataRequest.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let id = try RequestValues.id(input.path.trafficRequestId, field: "trafficRequestId")
        var validator = Validator()
        let text = validator.text(body.answer, field: "answer", maxLength: 4000)
        try validator.finish()
        let answered = try await transaction { principal, connection in
            let requests = TrafficDataRequestRepository(connection, logger: logger)
            guard let forwarded = try await requests.get(id) else { throw Problem.notFound("No such traffic-data request.") }
            guard !forwarded.answered else {
                throw Problem.conflict("This traffic-data request was answered already.", type: "already-answered")
            }
            let held = try await TrafficRepository(connection, logger: logger).countRecords(
                servedNumbers: forwarded.numbers, fromDay: forwarded.periodFrom, throughDay: forwarded.periodTo, resellerID: forwarded.resellerID
            )
            guard let answered = try await requests.answer(id, text: text!, recordsHeld: held, by: principal.id, at: Date()) else {
                throw Problem.conflict("This traffic-data request was answered already.", type: "already-answered")
            }
            try await AuditLog.append(AuditEntry(action: "traffic-data-request.answer", targetID: id, fields: ["answer", "recordsHeld"], resellerID: nil),
                                      by: principal, on: connection, logger: logger)
            return answered
        }
        return .ok(.init(body: .json(.init(answered, platform: true))))
    }
}
