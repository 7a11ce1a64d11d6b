// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboard-bench", targets: ["switchboard-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Settings read once at start from flags, environment and defaults. No traits: the flags come
        // from swift-argument-parser and no configuration file is read, so neither the default JSON
        // trait nor CommandLineArguments/YAML (and Yams) are built.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The managers' portal: server-rendered HTML from templates kept as resource files.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Value types and rules: no I/O, no framework dependencies.
        .target(
            name: "SwitchboardDomain",
            dependencies: []
        ),
        // The portal's templates, its Danish and English texts, and its style sheet.
        .target(
            name: "SwitchboardPortalResources",
            resources: [.copy("Templates"), .copy("Texts"), .copy("Assets")]
        ),
        // PostgreSQL: launcher, migrations, the scoped request transaction, repositories.
        .target(
            name: "SwitchboardStore",
            dependencies: [
                "SwitchboardDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The credential-change listener runs as a service of the application.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // HTTP: handlers generated from openapi.yaml, authentication, problem documents.
        .target(
            name: "SwitchboardAPI",
            dependencies: [
                "SwitchboardDomain",
                "SwitchboardStore",
                // ServerMetrics observes the retention job (RetentionObserver); webhook URLs are checked as the delivery job checks them.
                "SwitchboardJobs",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The HTTP/1 channel's idle timeout and extra handlers, and the connection cap.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Its parser's errors: a malformed request body is the client's 400, not a 500.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // The request/response parts the connection deadline handler observes.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SwitchboardConfiguration: the one declaration of the server's settings and their reading.
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                // GET /metrics: each application owns its registry (no process-global bootstrap).
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                "SwitchboardPortalResources",
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // Scheduled work of the server (retention, webhook delivery), leader-elected through PostgreSQL advisory locks.
        .target(
            name: "SwitchboardJobs",
            dependencies: [
                "SwitchboardDomain",
                "SwitchboardStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Webhook delivery: its own small HTTP client, which connects only to the address it
                // checked (no resolver behind its back, so DNS rebinding cannot redirect it).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardAPI",
                "SwitchboardDomain",
                "SwitchboardJobs",
                "SwitchboardStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // `switchboard health`: the container's probe speaks HTTP itself.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks that print ratios against limits measured in the same run: swift run -c release switchboard-bench
        .executableTarget(
            name: "switchboard-bench",
            dependencies: [
                "SwitchboardAPI",
                "SwitchboardStore",
                "SwitchboardDomain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SwitchboardTests",
            dependencies: [
                "SwitchboardAPI",
                "SwitchboardJobs",
                "SwitchboardStore",
                "SwitchboardDomain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Webhook tests run their own receivers: plain, scripted to misbehave, and over TLS.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
