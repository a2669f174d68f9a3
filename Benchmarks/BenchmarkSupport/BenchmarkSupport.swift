import Benchmark

#if canImport(Glibc)
import Glibc
#endif

/// Throughput figures every streamq benchmark reports, in records and raw megabytes per second.
public enum ThroughputMetrics {
    public static let recordsPerSecond = BenchmarkMetric.custom(
        "records/s",
        polarity: .prefersLarger,
        useScalingFactor: false
    )
    public static let megabytesPerSecond = BenchmarkMetric.custom(
        "raw MB/s",
        polarity: .prefersLarger,
        useScalingFactor: false
    )

    /// Records both figures for `records` records of `bytes` bytes processed since `start`.
    public static func report(_ benchmark: Benchmark, records: Int, bytes: Int, since start: ContinuousClock.Instant) {
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        benchmark.measurement(recordsPerSecond, Int(Double(records) / seconds))
        benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / seconds / 1e6))
    }
}

/// A fresh directory under `STREAMQ_BENCH_DIR` (default /tmp), removed after `body`.
public func withScratchDirectory(_ body: (String) async throws -> Void) async throws {
    var template = Array("\(environment("STREAMQ_BENCH_DIR") ?? "/tmp")/streamq-bench-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    defer { _ = system("rm -rf '\(directory)'") }
    try await body(directory)
}

public func environment(_ name: String) -> String? {
    getenv(name).flatMap { String(validatingCString: $0) }
}
