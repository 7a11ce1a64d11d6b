internal import OpenAPIRuntime

/// A request body passed through as it streams, failing with 413 once more than `limit` bytes
/// have arrived. Nothing is buffered here: a chunked upload is counted chunk by chunk, so an
/// oversize one is refused after `limit` bytes instead of after being collected whole.
struct ByteLimitedBody: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk

    let base: HTTPBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPBody.Iterator
        let limit: Int
        var received = 0

        mutating func next() async throws -> Element? {
            guard let chunk = try await base.next() else { return nil }
            received += chunk.count
            if received > limit { throw ByteLimitedBody.tooLarge(limit) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit)
    }

    /// The body for a handler: the same bytes and declared length, limited.
    static func wrapping(_ body: HTTPBody, limit: Int) -> HTTPBody {
        HTTPBody(ByteLimitedBody(base: body, limit: limit), length: body.length, iterationBehavior: .single)
    }

    static func tooLarge(_ limit: Int) -> Problem {
        Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large",
                detail: "The request body may be at most \(limit) bytes.")
    }
}
