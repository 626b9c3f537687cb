// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The numeric kernels (embedder, dense search) run about 3x slower without these flags; the
/// debug line keeps `swift test` fast (without it each fused multiply-add is a library call).
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(platforms: [.linux], configuration: .release)),
    .unsafeFlags(["-O", "-target-cpu", "haswell"], .when(platforms: [.linux], configuration: .debug)),
]

let package = Package(
    name: "Paperboy",
    // macOS 15: swift-configuration's APIs are available from it.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "paperboy", targets: ["paperboy"]),
        .executable(name: "upstream-replay", targets: ["upstream-replay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Default trait only (JSON config files): no YAML, no command-line provider.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Markdown of comments (rendered, then held to an allowlist by CommentMarkdown).
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: [
        .target(name: "PaperboyCore"),
        // Pure-Swift all-MiniLM-L6-v2 sentence embedder; Swift 5 mode for its raw-pointer kernels.
        .target(name: "CPrefetch"),
        // int8 matrix products (AVX2, and AVX-VNNI where the CPU has it) for MiniLM's dense layers.
        .target(
            name: "CMiniLMKernels",
            exclude: ["GemmKernel.inc"],
            cSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma"], .when(platforms: [.linux]))]
        ),
        .target(
            name: "MiniLM",
            dependencies: ["CPrefetch", "CMiniLMKernels"],
            swiftSettings: fastMath + [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(name: "minilm-bench", dependencies: ["MiniLM", "CMiniLMKernels"], swiftSettings: fastMath),
        // AVX2 dot products over 8- and 4-bit vectors for the dense index.
        .target(
            name: "CVectorKernels",
            cSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma"], .when(platforms: [.linux]))]
        ),
        // In-memory BM25, dense top-k, fusion, suggestions and evaluation metrics; Foundation only.
        .target(name: "PaperboySearch", dependencies: ["PaperboyCore", "CVectorKernels", "CZlib"], swiftSettings: fastMath),
        .executableTarget(name: "search-bench", dependencies: ["PaperboySearch", "PaperboyCore", "MiniLM"], swiftSettings: fastMath),
        // Store protocols and records only: no GRDB here.
        .target(name: "PaperboyStore", dependencies: ["PaperboyCore"]),
        // The SQLite implementation (GRDB, WAL, SQL-string migrations).
        .target(
            name: "PaperboyStoreSQLite",
            dependencies: [
                "PaperboyCore", "PaperboyStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The PostgreSQL implementation (PostgresNIO, SQL-string migrations under an advisory lock).
        .target(
            name: "PaperboyStorePostgres",
            dependencies: [
                "PaperboyCore", "PaperboyStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Opens a store from its location (sqlite:PATH, a path, or postgres://…), and copies
        // one store into another (`db copy`, a PostgreSQL store's backup).
        .target(
            name: "PaperboyStoreFactory",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "PaperboyStoreSQLite", "PaperboyStorePostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "PaperboyIngest",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A loopback HTTP server replaying recorded Hugging Face and arXiv OAI-PMH answers, with
        // injectable faults; the Swift tests, the e2e tests and the benchmarks all use it.
        .target(
            name: "UpstreamReplay",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "upstream-replay", dependencies: ["UpstreamReplay"]),
        // Parse throughput and peak memory of the OAI-PMH parser over recorded pages.
        .executableTarget(name: "oai-bench", dependencies: ["PaperboyIngest", "PaperboyCore"]),
        // SMTP client on SwiftNIO (STARTTLS, AUTH, dot-stuffing, timeouts) and MIME messages.
        .target(
            name: "PaperboyMail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // bcrypt behind a protocol, so the application never imports an HTTP framework's module.
        .target(name: "PaperboyPasswords", dependencies: [.product(name: "HummingbirdBcrypt", package: "hummingbird-auth")]),
        // The application without HTTP: feed, search, accounts, votes, submissions, digest.
        .target(
            name: "PaperboyApp",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "PaperboyIngest", "PaperboySearch", "MiniLM", "PaperboyMail", "PaperboyPasswords",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Ink", package: "Ink"),
            ],
            resources: [.copy("Resources")]
        ),
        .target(
            name: "PaperboyWeb",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "PaperboyApp", "PaperboySearch", "CZlib",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "paperboy",
            dependencies: [
                "PaperboyCore", "PaperboyStore", "PaperboyStoreFactory", "PaperboyIngest", "PaperboyApp", "PaperboyWeb", "PaperboySearch", "MiniLM",
                "PaperboyMail",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PaperboyCoreTests", dependencies: ["PaperboyCore", "PaperboyTestSupport"]),
        .testTarget(name: "MiniLMTests", dependencies: ["MiniLM", "CMiniLMKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "PaperboySearchTests", dependencies: ["PaperboySearch", "PaperboyCore"]),
        // The real SMTP server (aiosmtpd) the mail and digest tests talk to on loopback, and the
        // test clock timing tests run on.
        // The replay server for upstream clients is re-exported from here.
        .target(name: "PaperboyTestSupport", dependencies: ["PaperboyCore", "UpstreamReplay"], path: "Tests/PaperboyTestSupport"),
        .testTarget(name: "PaperboyMailTests", dependencies: ["PaperboyMail", "PaperboyTestSupport"]),
        .testTarget(
            name: "PaperboyStoreTests",
            dependencies: [
                "PaperboyStore", "PaperboyStoreSQLite", "PaperboyStoreFactory", "PaperboyCore", "PaperboyTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "PaperboyIngestTests",
            dependencies: [
                "PaperboyIngest", "PaperboyStore", "PaperboyStoreFactory", "PaperboyCore", "PaperboyTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "PaperboyWebTests",
            dependencies: [
                "PaperboyWeb", "PaperboyApp", "PaperboyStore", "PaperboyStoreFactory", "PaperboyIngest", "PaperboyCore", "PaperboyMail",
                "PaperboyTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)

/// CI builds (`CI=true`) treat warnings in our own code as errors; dependencies keep theirs.
if ProcessInfo.processInfo.environment["CI"] == "true" {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-warnings-as-errors"])]
    }
}
