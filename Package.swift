// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "streamq",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StreamQStorage", targets: ["StreamQStorage"]),
        .library(name: "StreamQClient", targets: ["StreamQClient"]),
        .library(name: "StreamQJSON", targets: ["StreamQJSON"]),
        .library(name: "StreamQAWS", targets: ["StreamQAWS"]),
        .library(name: "StreamQRemote", targets: ["StreamQRemote"]),
        .library(name: "StreamQSampleData", targets: ["StreamQSampleData"]),
        .executable(name: "streamq", targets: ["streamq"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),
        .target(name: "CCRC32C"),
        .target(
            name: "StreamQStorage",
            dependencies: [
                "CZstd",
                "CCRC32C",
                "CIntrinsics",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamQClient",
            dependencies: [
                "StreamQStorage",
                "CIntrinsics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "StreamQJSON", dependencies: ["CIntrinsics"], swiftSettings: swiftSettings),
        .target(
            name: "StreamQAWS",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamQRemote",
            dependencies: [
                "StreamQAWS",
                "StreamQClient",
                "StreamQStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CIntrinsics"),
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        .target(
            name: "StreamQSinks",
            dependencies: [
                "CZstd", "CZlib", "StreamQSQL", "StreamQStorage", "StreamQJSON", "StreamQRemote",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamQSQL",
            dependencies: [
                "StreamQJSON", "StreamQStorage", "StreamQClient",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "StreamQSampleData", swiftSettings: swiftSettings),
        .target(
            name: "StreamQShip",
            dependencies: [
                "StreamQClient", "StreamQJSON", "StreamQStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamQPipelines",
            dependencies: [
                "StreamQStorage",
                "StreamQClient",
                "StreamQSQL",
                "StreamQSinks",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamQServer",
            dependencies: [
                "StreamQAWS",
                "StreamQStorage",
                "StreamQPipelines",
                "StreamQSQL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamQCommands",
            dependencies: [
                "CEditLine",
                "CMalloc",
                "StreamQStorage",
                "StreamQClient",
                "StreamQJSON",
                "StreamQSQL",
                "StreamQSinks",
                "StreamQSampleData",
                "StreamQServer",
                "StreamQAWS",
                "StreamQRemote",
                "StreamQShip",
                "StreamQPipelines",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "streamq", dependencies: ["StreamQCommands"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "storage-tour",
            dependencies: ["StreamQStorage"],
            path: "examples/storage-tour",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "producer-consumer",
            dependencies: ["StreamQClient", "StreamQStorage"],
            path: "examples/producer-consumer",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "windowed-query",
            dependencies: ["StreamQSQL", "StreamQStorage", "StreamQSampleData"],
            path: "examples/windowed-query",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQStorageTests",
            dependencies: [
                "StreamQStorage",
                "StreamQSampleData",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQJSONTests",
            dependencies: ["StreamQJSON", "StreamQSampleData"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQServerTests",
            dependencies: [
                "StreamQServer", "StreamQAWS", "StreamQStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQAWSTests",
            dependencies: [
                "StreamQAWS", "StreamQSampleData", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQRemoteTests",
            dependencies: [
                "StreamQRemote", "StreamQAWS", "StreamQClient", "StreamQStorage", "StreamQSQL",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQSinksTests",
            dependencies: ["StreamQSinks", "StreamQSQL", "StreamQStorage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQSQLTests",
            dependencies: ["StreamQSQL", "StreamQStorage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQPipelinesTests",
            dependencies: ["StreamQPipelines", "StreamQSQL", "StreamQStorage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQClientTests",
            dependencies: ["StreamQClient", "StreamQStorage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQShipTests",
            dependencies: ["StreamQShip", "StreamQClient", "StreamQStorage", "StreamQSampleData"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamQCommandsTests",
            dependencies: ["StreamQCommands", "StreamQStorage", "StreamQSampleData"],
            swiftSettings: swiftSettings
        ),
    ]
)
