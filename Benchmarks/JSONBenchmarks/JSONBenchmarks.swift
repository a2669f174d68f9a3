import Benchmark
import BenchmarkSupport
import StreamQJSON
import StreamQSampleData

/// The top-level JSON field lookup that `streamq put --key-field` runs on every line, on the thread
/// reading stdin: over the sample access logs (ten fields a line), the field wanted last and second.
/// Each figure is lines looked up per second.
let benchmarks: @Sendable () -> Void = {
    let recordCount = Int(environment("STREAMQ_BENCH_RECORDS") ?? "") ?? 1_000_000
    let lines = Array(AccessLogGenerator(count: recordCount, seed: 7)).map { Array($0.utf8) }
    let rawBytes = lines.reduce(0) { $0 + $1.count }

    Benchmark.defaultConfiguration = .init(
        metrics: [ThroughputMetrics.recordsPerSecond, ThroughputMetrics.megabytesPerSecond],
        maxDuration: .seconds(30),
        maxIterations: 3
    )

    for (field, place) in [("user", "last"), ("host", "second")] {
        Benchmark("json field lookup (\(place) of ten)") { benchmark in
            var found = 0
            let start = ContinuousClock.now
            benchmark.startMeasurement()
            Array(field.utf8).withUnsafeBytes { wanted in
                for line in lines {
                    line.withUnsafeBytes { json in
                        if case .string? = try? JSONFieldLookup.value(ofField: wanted, in: json) { found += 1 }
                    }
                }
            }
            benchmark.stopMeasurement()
            precondition(found == lines.count, "found '\(field)' in \(found) of \(lines.count) lines")
            ThroughputMetrics.report(benchmark, records: lines.count, bytes: rawBytes, since: start)
        }
    }
}
