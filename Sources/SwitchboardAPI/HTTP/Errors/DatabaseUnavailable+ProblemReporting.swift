import HTTPTypes
import SwitchboardStore

/// 503 with `Retry-After`: the database did not serve the request in time (the cause is in the
/// log, once per outage, written where it was detected).
extension DatabaseUnavailable: ProblemReporting {
    public var problem: Problem {
        var problem = Problem.serviceUnavailable("The database did not answer in time. Retry after \(retryAfterSeconds) seconds.")
        problem.headers[.retryAfter] = String(retryAfterSeconds)
        return problem
    }
}
