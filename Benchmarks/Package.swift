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
        benchmarks("StorageBenchmarks", using: ["StreamQStorage", "StreamQSampleData"]),
        benchmarks("ClientBenchmarks", using: ["StreamQClient", "StreamQStorage", "StreamQSampleData"]),
        benchmarks("JSONBenchmarks", using: ["StreamQJSON", "StreamQSampleData"]),
    ]
)

/// A suite of ordo-one benchmarks in the folder `name`, using the streamq products `products`.
func benchmarks(_ name: String, using products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["BenchmarkSupport", .product(name: "Benchmark", package: "benchmark")]
            + products.map { .product(name: $0, package: "streamq") },
        path: name,
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
