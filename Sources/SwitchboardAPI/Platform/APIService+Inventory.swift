internal import Foundation
import PostgresNIO
import SwitchboardDomain
import SwitchboardStore

/// The platform's number blocks and SIM batches (allocation, reclaim, utilisation) and the
/// reseller's own stock (`GET /v1/numbers`, `GET /v1/sims`), which its managers see in part.
extension APIService {
    static let maxAllocation = 10_000

    package func allocateNumberBlock(_ input: Operations.AllocateNumberBlock.Input) async throws -> Operations.AllocateNumberBlock.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
        let numbers = try Self.blockNumbers(first: body.first, count: body.count, list: body.numbers)
        let blockID = TimeOrderedID.make()
        let now = inventory.clock()
        let record = try await transaction(kind: .request) { principal, connection in
            try await requireReseller(resellerID, on: connection)
            let record = try await AllocationRepository(connection, logger: logger).allocateNumbers(
                numbers, firstNumber: body.first, to: resellerID, blockID: blockID, by: principal.id, now: now
            )
            try await AuditLog.append(AuditEntry(action: "number_block.allocate", targetID: blockID, fields: ["numbers"], resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
            return record
        }
        return .created(.init(headers: .init(location: "/v1/resellers/\(resellerID.apiString)/number-blocks"), body: .json(.init(record))))
    }

    /// `first` and `count`, or `numbers`; each number E.164, at most ``maxAllocation``.
    static func blockNumbers(first: String?, count: Int?, list: [String]?) throws -> [String] {
        var validator = Validator()
        switch (first, count, list) {
        case (let first?, let count?, nil):
            guard (1...maxAllocation).contains(count) else {
                throw Problem.validation([.init(field: "count", rule: "range", message: "must be between 1 and \(maxAllocation)")])
            }
            guard validator.phone(first, field: "first") != nil else { try validator.finish(); return [] }
            guard let numbers = NumberRange.numbers(from: first, count: count) else {
                throw Problem.validation([.init(field: "count", rule: "range", message: "runs past the last number of that length")])
            }
            return numbers
        case (nil, nil, let list?):
            guard (1...maxAllocation).contains(list.count) else {
                throw Problem.validation([.init(field: "numbers", rule: "range", message: "must hold between 1 and \(maxAllocation) numbers")])
            }
            for (index, number) in list.enumerated() { _ = validator.phone(number, field: "numbers/\(index)") }
            try validator.finish()
            return list
        default:
            throw Problem.validation([.init(field: "first", rule: "oneOf", message: "give either first and count, or numbers")])
        }
    }

    package func listNumberBlocks(_ input: Operations.ListNumberBlocks.Input) async throws -> Operations.ListNumberBlocks.Output {
        let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
        let cursor = try RequestValues.cursor(input.query.cursor)
        let limit = try RequestValues.limit(input.query.limit)
        let now = inventory.clock()
        let page = try await transaction { _, connection in
            try await requireReseller(resellerID, on: connection)
            return try await AllocationRepository(connection, logger: logger).numberBlocks(of: resellerID, after: cursor, limit: limit, now: now)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor?.apiString))))
    }

    package func reclaimNumberBlock(_ input: Operations.ReclaimNumberBlock.Input) async throws -> Operations.ReclaimNumberBlock.Output {
        let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
        let blockID = try RequestValues.id(input.path.blockId, field: "blockId")
        let now = inventory.clock()
        let result = try await reclaim(action: "number_block.reclaim", target: blockID, field: "numbers", of: resellerID, missing: "No such number block.") { allocations in
            try await allocations.reclaimNumberBlock(blockID, of: resellerID, now: now)
        }
        return .ok(.init(body: .json(result)))
    }

    package func allocateSimBatch(_ input: Operations.AllocateSimBatch.Input) async throws -> Operations.AllocateSimBatch.Output {
        guard case .json(let body) = input.body else { throw Problem.badRequest("Expected a JSON body.") }
        let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
        guard (1...Self.maxAllocation).contains(body.iccids.count) else {
            throw Problem.validation([.init(field: "iccids", rule: "range", message: "must hold between 1 and \(Self.maxAllocation) ICCIDs")])
        }
        var validator = Validator()
        for (index, iccid) in body.iccids.enumerated() { _ = validator.iccid(iccid, field: "iccids/\(index)") }
        try validator.finish()
        let batchID = TimeOrderedID.make()
        let now = inventory.clock()
        let record = try await transaction { principal, connection in
            try await requireReseller(resellerID, on: connection)
            let record = try await AllocationRepository(connection, logger: logger).allocateSIMs(body.iccids, to: resellerID, batchID: batchID, by: principal.id, now: now)
            try await AuditLog.append(AuditEntry(action: "sim_batch.allocate", targetID: batchID, fields: ["iccids"], resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
            return record
        }
        return .created(.init(headers: .init(location: "/v1/resellers/\(resellerID.apiString)/sim-batches"), body: .json(.init(record))))
    }

    package func listSimBatches(_ input: Operations.ListSimBatches.Input) async throws -> Operations.ListSimBatches.Output {
        let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
        let cursor = try RequestValues.cursor(input.query.cursor)
        let limit = try RequestValues.limit(input.query.limit)
        let page = try await transaction { _, connection in
            try await requireReseller(resellerID, on: connection)
            return try await AllocationRepository(connection, logger: logger).simBatches(of: resellerID, after: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor?.apiString))))
    }

    package func reclaimSimBatch(_ input: Operations.ReclaimSimBatch.Input) async throws -> Operations.ReclaimSimBatch.Output {
        let resellerID = try RequestValues.id(input.path.resellerId, field: "resellerId")
        let batchID = try RequestValues.id(input.path.batchId, field: "batchId")
        let result = try await reclaim(action: "sim_batch.reclaim", target: batchID, field: "iccids", of: resellerID, missing: "No such SIM batch.") { allocations in
            try await allocations.reclaimSIMBatch(batchID, of: resellerID)
        }
        return .ok(.init(body: .json(result)))
    }

    package func getInventoryUtilisation(_ input: Operations.GetInventoryUtilisation.Input) async throws -> Operations.GetInventoryUtilisation.Output {
        let now = inventory.clock()
        let items = try await transaction { _, connection in
            try await AllocationRepository(connection, logger: logger).utilisation(now: now)
        }
        return .ok(.init(body: .json(.init(items: items.map { .init(resellerId: $0.resellerID.apiString, numbers: .init($0.numbers), sims: .init($0.sims)) }))))
    }

    package func listNumbers(_ input: Operations.ListNumbers.Input) async throws -> Operations.ListNumbers.Output {
        let state = input.query.state.map { NumberState(rawValue: $0.rawValue)! }
        let cursor = try RequestValues.queryText(input.query.cursor, field: "cursor", maxLength: 64)
        let limit = try RequestValues.limit(input.query.limit)
        let now = inventory.clock()
        let page = try await transaction { principal, connection in
            try await StockRepository(connection, logger: logger).numbers(resellerID: principal.resellerID!, state: state, after: cursor, limit: limit, now: now)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor))))
    }

    package func listSims(_ input: Operations.ListSims.Input) async throws -> Operations.ListSims.Output {
        let state = input.query.state.map { SIMState(rawValue: $0.rawValue)! }
        let cursor = try RequestValues.queryText(input.query.cursor, field: "cursor", maxLength: 64)
        let limit = try RequestValues.limit(input.query.limit)
        let page = try await transaction { principal, connection in
            try await StockRepository(connection, logger: logger).sims(resellerID: principal.resellerID!, state: state, after: cursor, limit: limit)
        }
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor))))
    }

    /// Takes a block's or batch's unassigned stock back, audited; 404 when the reseller has no such allocation.
    private func reclaim(
        action: String, target: UUID, field: String, of resellerID: UUID, missing: String,
        _ take: (AllocationRepository) async throws -> (reclaimed: Int, kept: Int)?
    ) async throws -> Components.Schemas.Reclaim {
        try await transaction { principal, connection in
            guard let result = try await take(AllocationRepository(connection, logger: logger)) else { throw Problem.notFound(missing) }
            try await AuditLog.append(AuditEntry(action: action, targetID: target, fields: [field], resellerID: resellerID),
                                      by: principal, on: connection, logger: logger)
            return .init(reclaimed: result.reclaimed, kept: result.kept)
        }
    }

    /// 404 for a reseller the platform has not onboarded.
    private func requireReseller(_ id: UUID, on connection: PostgresConnection) async throws {
        guard try await ResellerRepository(connection, logger: logger).get(id) != nil else { throw Problem.notFound("No such reseller.") }
    }
}
