import Hummingbird

/// Counts and times every request into ``ServerMetrics``, labelled by the operation's route
/// template, method and status, never by the raw path (it holds ids).
///
/// Added first, so it is the outermost layer: it sees the response ``RequestBoundaryMiddleware``
/// made of any thrown error, with its real status, and times the whole request up to the response
/// head (a streamed response body's writing is not included).
package struct RequestMetricsMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext

    let metrics: ServerMetrics

    package init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let matched = MatchedRoute()
        context.matchedRoute = matched
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.requestAnswered(route: matched.key, method: request.method, status: response.status, elapsed: .now - started)
            return response
        } catch {
            // The boundary below answers every error; one escaping it is answered by Hummingbird as a 500.
            metrics.requestAnswered(route: matched.key, method: request.method, status: .internalServerError, elapsed: .now - started)
            throw error
        }
    }
}
