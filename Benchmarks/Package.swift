// swift-tools-version: 6.1
// Benchmarks live in their own package so the benchmark harness and its allocator hooks stay out of
// the library's dependency graph. Run them with `make bench` from the repository root.
import PackageDescription

let package = Package(
    name: "streamq-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "streamq", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "BenchmarkSupport"
        ),
        .executableTarget(
            name: "StorageBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StreamQStorage", package: "streamq"),
                .product(name: "StreamQSampleData", package: "streamq"),
            ],
            path: "StorageBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ClientBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StreamQClient", package: "streamq"),
                .product(name: "StreamQStorage", package: "streamq"),
                .product(name: "StreamQSampleData", package: "streamq"),
            ],
            path: "ClientBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "JSONBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StreamQJSON", package: "streamq"),
                .product(name: "StreamQSampleData", package: "streamq"),
            ],
            path: "JSONBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
