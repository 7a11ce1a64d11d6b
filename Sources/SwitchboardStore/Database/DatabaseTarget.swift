import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Where the database lives and how to reach it; the user is chosen per use
/// (the migrator connects as the admin from `DATABASE_URL`, the server's pool as `sb_app`).
public struct DatabaseTarget: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    /// libpq's `sslmode`, with libpq's meaning: only `verify-ca` and `verify-full` check the
    /// server's certificate (a Citus cluster's nodes use self-signed ones, which `prefer` and
    /// `require` accept). `allow` behaves as `prefer`: PostgresNIO asks for TLS first.
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var database: String
    public var adminUser: String
    public var adminPassword: String?
    public var tls: TLSMode
    /// `sslrootcert`: the certificate authorities to verify the server against (PEM file);
    /// nil means the system's. As in libpq, `require` with a root certificate verifies the chain.
    public var rootCertificatePath: String?

    /// The login role the server's pool uses: it owns nothing and switches role per request.
    public static let applicationRole = "sb_app"

    public init(endpoint: Endpoint, database: String, adminUser: String, adminPassword: String?, tls: TLSMode = .disable, rootCertificatePath: String? = nil) {
        self.endpoint = endpoint
        self.database = database
        self.adminUser = adminUser
        self.adminPassword = adminPassword
        self.tls = tls
        self.rootCertificatePath = rootCertificatePath
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=require&sslrootcert=/ca.pem`.
    /// A `host=/dir` query item selects a Unix socket directory, as libpq does.
    public init(url: String) throws {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw DatabaseTargetError.invalidURL("DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last }
        )
        let port = components.port ?? 5432
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(port)")
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw DatabaseTargetError.invalidURL("DATABASE_URL has no host")
            }
            endpoint = .tcp(host: host, port: port)
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty else { throw DatabaseTargetError.invalidURL("DATABASE_URL has no database name") }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseTargetError.invalidURL("DATABASE_URL has no user name")
        }
        database = path
        adminUser = user
        adminPassword = components.password
        let mode = query["sslmode"] ?? TLSMode.prefer.rawValue
        guard let tls = TLSMode(rawValue: mode) else {
            throw DatabaseTargetError.invalidURL(
                "unsupported sslmode '\(mode)' (use \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.tls = tls
        rootCertificatePath = query["sslrootcert"].flatMap { $0.isEmpty || $0 == "system" ? nil : $0 }
        if let path = rootCertificatePath, !FileManager.default.isReadableFile(atPath: path) {
            throw DatabaseTargetError.invalidURL("sslrootcert '\(path)' is not a readable file")
        }
    }

    /// What NIOSSL is told for `tls`; nil when the connection stays unencrypted.
    func tlsConfiguration() -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let path = rootCertificatePath { configuration.trustRoots = .file(path) }
        switch tls {
        case .disable:
            return nil
        case .allow, .prefer:
            configuration.certificateVerification = .none
        case .require:
            configuration.certificateVerification = rootCertificatePath == nil ? .none : .noHostnameVerification
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        return configuration
    }

    /// Whether a server that refuses TLS is still acceptable (libpq's `allow` and `prefer`).
    var acceptsPlaintext: Bool { [.allow, .prefer].contains(tls) }

    private func tlsSetting() throws -> PostgresClient.Configuration.TLS {
        guard let configuration = tlsConfiguration() else { return .disable }
        return acceptsPlaintext ? .prefer(configuration) : .require(configuration)
    }

    /// Every connection resolves unqualified names in the application schema first.
    static let startupParameters: [(String, String)] = [("search_path", "sb, public")]

    public func clientConfiguration(user: String, password: String?) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: try tlsSetting())
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
        }
        configuration.options.additionalStartupParameters = Self.startupParameters
        return configuration
    }

    public func connectionConfiguration(user: String, password: String?, database: String? = nil) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        let database = database ?? self.database
        switch endpoint {
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            if let configuration = tlsConfiguration() {
                let context = try NIOSSLContext(configuration: configuration)
                tls = acceptsPlaintext ? .prefer(context) : .require(context)
            } else {
                tls = .disable
            }
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
        }
        configuration.options.additionalStartupParameters = Self.startupParameters
        return configuration
    }

    /// Opens one connection as the admin user, runs `body`, and always closes it.
    public func withAdminConnection<T: Sendable>(
        database: String? = nil,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: try connectionConfiguration(user: adminUser, password: adminPassword, database: database),
            id: 1,
            logger: logger
        )
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A description without secrets, for logs and error messages.
    public var redactedDescription: String {
        switch endpoint {
        case .tcp(let host, let port): return "postgres://\(adminUser)@\(host):\(port)/\(database)"
        case .unixSocket(let path): return "postgres://\(adminUser)@[\(path)]/\(database)"
        }
    }
}
