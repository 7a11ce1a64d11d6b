internal import OpenAPIRuntime

/// `GET /metrics`: this application's registry (``ServerMetrics``) in Prometheus text format.
extension APIService {
    package func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .textPlainCharsetUtf8Version_0_0_4(HTTPBody(metrics.registry.emitToBuffer()))))
    }
}
