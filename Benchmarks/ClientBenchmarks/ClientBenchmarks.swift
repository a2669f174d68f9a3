import Benchmark
import BenchmarkSupport
import StreamQClient
import StreamQSampleData
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Producer and consumer figures on the sample access logs, fsync policy `always`:
/// single-record `send` throughput into 4 shards, append→delivery latency of a following
/// consumer, and consumer-group read throughput.
let benchmarks: @Sendable () -> Void = {
    let recordCount = Int(environment("STREAMQ_BENCH_RECORDS") ?? "") ?? 1_000_000
    let lines = Array(AccessLogGenerator(count: recordCount, seed: 7)).map { Array($0.utf8) }
    let rawBytes = lines.reduce(0) { $0 + $1.count }
    let stream = StreamName(rawValue: "bench")!
    let records = lines.enumerated().map { index, line in
        ProducerRecord(stream: stream, partitionKey: "u\(index % 5000)", data: line)
    }

    Benchmark.defaultConfiguration = .init(
        metrics: [ThroughputMetrics.recordsPerSecond, ThroughputMetrics.megabytesPerSecond],
        maxDuration: .seconds(30),
        maxIterations: 3
    )

    Benchmark("producer send always 4 shards") { benchmark in
        try await withScratchEngine { engine in
            try engine.createStream(stream, shardCount: 4)
            let producer = engine.makeProducer()
            let start = ContinuousClock.now
            benchmark.startMeasurement()
            for record in records { _ = try await producer.send(record) }
            try await producer.flush()
            benchmark.stopMeasurement()
            ThroughputMetrics.report(benchmark, records: records.count, bytes: rawBytes, since: start)
        }
    }

    Benchmark("group consume 4 shards") { benchmark in
        try await withScratchEngine { engine in
            try engine.createStream(stream, shardCount: 4)
            let producer = engine.makeProducer()
            for record in records { _ = try await producer.send(record) }
            try await producer.flush()
            var configuration = StreamQConsumerConfiguration(stream: stream)
            configuration.group = ConsumerGroupConfiguration(name: "bench")
            let consumer = try engine.makeConsumer(configuration: configuration)
            let start = ContinuousClock.now
            benchmark.startMeasurement()
            let (count, bytes) = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
                tasks.addTask {
                    try await consumer.run()
                    return (0, 0)
                }
                tasks.addTask {
                    var count = 0
                    var bytes = 0
                    for try await record in consumer.records {
                        count += 1
                        bytes += record.data.count
                    }
                    return (count, bytes)
                }
                return try await tasks.reduce(into: (0, 0)) {
                    $0.0 += $1.0
                    $0.1 += $1.1
                }
            }
            benchmark.stopMeasurement()
            precondition(count == records.count, "consumed \(count) of \(records.count)")
            ThroughputMetrics.report(benchmark, records: count, bytes: bytes, since: start)
        }
    }

    Benchmark(
        "follow latency append to delivery",
        configuration: .init(metrics: [ClientMetrics.latency], maxDuration: .seconds(30), maxIterations: 1)
    ) { benchmark in
        try await withScratchEngine { engine in
            try engine.createStream(stream, shardCount: 1)
            var configuration = StreamQConsumerConfiguration(stream: stream)
            configuration.follow = true
            let consumer = try engine.makeConsumer(configuration: configuration)
            let samples = 2000
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await consumer.run() }
                var iterator = consumer.records.makeAsyncIterator()
                let clock = ContinuousClock()
                for n in 0..<samples {
                    let sent = clock.now
                    _ = try await engine.store.append(to: stream, [AppendRecord(partitionKey: "k", data: "\(n)")])
                    guard try await iterator.next() != nil else { break }
                    let elapsed = sent.duration(to: clock.now)
                    benchmark.measurement(
                        ClientMetrics.latency,
                        Int(elapsed.components.attoseconds / 1_000_000_000_000) + Int(elapsed.components.seconds)
                            * 1_000_000
                    )
                    if n % 10 == 0 { try await Task.sleep(for: .milliseconds(1)) }  // not a saturated pipe
                }
                consumer.stop()
                try await tasks.waitForAll()
            }
        }
    }
}

func withScratchEngine(_ body: (StreamQEngine) async throws -> Void) async throws {
    try await withScratchDirectory { directory in
        let engine = try StreamQEngine(directory: directory)
        try await body(engine)
        try await engine.shutdown()
    }
}

enum ClientMetrics {
    static let latency = BenchmarkMetric.custom("latency us", polarity: .prefersSmaller, useScalingFactor: false)
}
