/// What the server tolerates from a client connection before it closes it.
///
/// Without these an idle socket, or a client that sends one header line every few seconds, holds a
/// connection (and a file descriptor) for ever.
package struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in progress is closed after this (Hummingbird's `idleTimeout`,
    /// which also closes a connection whose request stops arriving for this long).
    package var idleTimeout: Duration
    /// From a request's first byte to its complete header; trickling lines does not extend it. Answers 408 and closes.
    package var headerReadTimeout: Duration
    /// Longest the server waits for more of a request body it asked for (backpressure, when the
    /// server itself is not reading, does not count). Answers 408 when no response was started, and closes.
    package var bodyReadTimeout: Duration
    /// Open client connections; further ones wait in the listen backlog until one closes.
    package var maxConnections: Int

    package init(idleTimeout: Duration = .seconds(60), headerReadTimeout: Duration = .seconds(10), bodyReadTimeout: Duration = .seconds(30), maxConnections: Int = 512) {
        self.idleTimeout = idleTimeout
        self.headerReadTimeout = headerReadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.maxConnections = maxConnections
    }
}
