import NIOCore
import NIOHTTP1

/// Failures while reading the request itself: a body whose chunked framing is broken, one that
/// ends before its declared length, or a streamed body past its limit. They are the client's
/// doing, so they answer 400 or 413, never 500 (and are not logged as server errors).
enum RequestStreamFailure {
    static func problem(for error: any Error) -> Problem? {
        switch error {
        case is NIOTooManyBytesError:
            return Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large", detail: "The request body is too large.")
        case is HTTPParserError:
            return .badRequest("The request's body could not be read (malformed chunked encoding, or it ended early).")
        default:
            return nil
        }
    }
}
