import HTTPTypes
import SwitchboardStore

extension Problem {
    /// 503 with `Retry-After`: the database did not serve the request in time (the cause is in the log, once per outage).
    static func databaseUnavailable(_ failure: DatabaseUnavailable) -> Problem {
        var problem = Problem.serviceUnavailable("The database did not answer in time. Retry after \(failure.retryAfterSeconds) seconds.")
        problem.headers[.retryAfter] = String(failure.retryAfterSeconds)
        return problem
    }
}
