import Benchmark
import BenchmarkSupport
import StreamQSampleData
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Storage throughput on the sample access logs (about 180-byte JSON records, zstd level 1):
/// batch appends under each fsync policy on 1 and 4 shards (and on 4 shards batched per shard by
/// the producers, with `always` and `never`), and a sequential read with
/// decompression and CRC checks; the `always` 1-shard append and the read again on an encrypted
/// stream (AES-256-GCM), named with " (encrypted)"; and the MD5 of each record's partition key
/// that routes it to a shard. Each figure is a custom metric in records per second.
let benchmarks: @Sendable () -> Void = {
    let recordCount = Int(environment("STREAMQ_BENCH_RECORDS") ?? "") ?? 1_000_000
    let lines = Array(AccessLogGenerator(count: recordCount, seed: 7)).map { Array($0.utf8) }
    let records = lines.enumerated().map { index, line in
        AppendRecord(partitionKey: "u\(index % 5000)", data: line)
    }
    let rawBytes = lines.reduce(0) { $0 + $1.count }
    let producers = Int(environment("STREAMQ_BENCH_PRODUCERS") ?? "") ?? 8

    Benchmark.defaultConfiguration = .init(
        metrics: [ThroughputMetrics.recordsPerSecond, ThroughputMetrics.megabytesPerSecond],
        maxDuration: .seconds(30),
        maxIterations: 3
    )

    func append(policy: FsyncPolicy, shards: Int, encrypted: Bool) {
        Benchmark("append \(policy) \(shards) shard\(shards == 1 ? "" : "s")\(encrypted ? " (encrypted)" : "")") {
            benchmark in
            try await withScratchStore(policy: policy, encrypted: encrypted) { store, keyID in
                let stream = try StreamName(validating: "bench")
                try store.createStream(stream, shardCount: shards, encryptWith: keyID)
                let start = ContinuousClock.now
                benchmark.startMeasurement()
                try await appendConcurrently(records, to: stream, in: store, producers: producers, batchSize: 500)
                benchmark.stopMeasurement()
                ThroughputMetrics.report(benchmark, records: records.count, bytes: rawBytes, since: start)
            }
        }
    }
    for policy in [FsyncPolicy.always, .interval(.milliseconds(100)), .never] {
        for shards in [1, 4] { append(policy: policy, shards: shards, encrypted: false) }
    }
    append(policy: .always, shards: 1, encrypted: true)

    // The same records when the producers batch them per shard, as the Kinesis producer library
    // (and `streamq put`) do: each append goes to one shard whole instead of being split four ways.
    // The keys are routed before the timing starts, as a producer library does while it buffers.
    for policy in [FsyncPolicy.always, .never] {
        Benchmark("append \(policy) 4 shards (batched per shard)") { benchmark in
            try await withScratchStore(policy: policy) { store, _ in
                let stream = try StreamName(validating: "bench")
                try store.createStream(stream, shardCount: 4)
                let routes = ShardRoutes(try store.describeStream(stream))
                let batches = batchesPerShard(records, routes: routes, producers: producers, batchSize: 500)
                let start = ContinuousClock.now
                benchmark.startMeasurement()
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    for producerBatches in batches {
                        tasks.addTask {
                            for (shard, batch) in producerBatches {
                                _ = try await store.append(to: stream, shard: shard, batch)
                            }
                        }
                    }
                    try await tasks.waitForAll()
                }
                benchmark.stopMeasurement()
                ThroughputMetrics.report(benchmark, records: records.count, bytes: rawBytes, since: start)
            }
        }
    }

    // Routing a record to a shard hashes its partition key (MD5, as Kinesis does): what every
    // append split across shards, PutRecords in `streamq serve` and `put --endpoint` pay per record.
    Benchmark("partition key hashes") { benchmark in
        let keys = records.map(\.partitionKey)
        let start = ContinuousClock.now
        benchmark.startMeasurement()
        let hashes = HashKey.forPartitionKeys(keys)
        benchmark.stopMeasurement()
        precondition(hashes.count == keys.count && hashes[1] == HashKey.forPartitionKey(keys[1]))
        ThroughputMetrics.report(
            benchmark,
            records: keys.count,
            bytes: keys.reduce(0) { $0 + $1.utf8.count },
            since: start
        )
    }

    for encrypted in [false, true] {
        Benchmark("sequential read 1 shard\(encrypted ? " (encrypted)" : "")") { benchmark in
            try await withScratchStore(policy: .never, encrypted: encrypted) { store, keyID in
                let stream = try StreamName(validating: "bench")
                try store.createStream(stream, shardCount: 1, encryptWith: keyID)
                try await appendConcurrently(records, to: stream, in: store, producers: 4, batchSize: 500)
                try await store.flush()
                let start = ContinuousClock.now
                benchmark.startMeasurement()
                var cursor: ShardCursor? = try store.cursor(stream: stream, shard: ShardID(0), at: .trimHorizon)
                var seen = 0
                var bytes = 0
                while let current = cursor {
                    let result = try store.scan(current, maxRecords: 100_000, maxBytes: 64 << 20) { record in
                        bytes &+= record.data.count
                    }
                    seen += result.recordCount
                    if result.recordCount == 0 { break }
                    cursor = result.next
                }
                benchmark.stopMeasurement()
                precondition(
                    seen == records.count && bytes == rawBytes,
                    "read \(seen) records, expected \(records.count)"
                )
                ThroughputMetrics.report(benchmark, records: seen, bytes: bytes, since: start)
            }
        }
    }
}

/// `producers` tasks each append their share of `records` in batches of `batchSize`, the way
/// several Kinesis PutRecords clients would.
func appendConcurrently(
    _ records: [AppendRecord],
    to stream: StreamName,
    in store: StreamStore,
    producers: Int,
    batchSize: Int
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        for share in shares(of: records.count, among: producers) {
            let mine = records[share]
            tasks.addTask {
                var index = mine.startIndex
                while index < mine.endIndex {
                    let end = min(index + batchSize, mine.endIndex)
                    _ = try await store.append(to: stream, Array(mine[index..<end]))
                    index = end
                }
            }
        }
        try await tasks.waitForAll()
    }
}

/// The positions of `count` records each of `producers` appends: consecutive shares, as equal as
/// they can be.
func shares(of count: Int, among producers: Int) -> [Range<Int>] {
    let share = (count + producers - 1) / producers
    return (0..<producers).map { min(count, $0 * share)..<min(count, ($0 + 1) * share) }
}

/// Each producer's share of `records` (as ``appendConcurrently`` splits them) routed to the shards
/// by the MD5 of each key and cut into batches of `batchSize` per shard, taking the shards in turn:
/// what each producer then appends, in order.
func batchesPerShard(
    _ records: [AppendRecord],
    routes: ShardRoutes,
    producers: Int,
    batchSize: Int
) -> [[(ShardID, [AppendRecord])]] {
    let hashes = HashKey.forPartitionKeys(records.map(\.partitionKey))
    return shares(of: records.count, among: producers).map { share in
        var parts = [[AppendRecord]](repeating: [], count: routes.count)
        for index in share {
            parts[routes.index(for: hashes[index])].append(records[index])
        }
        var batches: [(ShardID, [AppendRecord])] = []
        for offset in stride(from: 0, to: parts.map(\.count).max() ?? 0, by: batchSize) {
            for (target, part) in parts.enumerated() where offset < part.count {
                batches.append((routes.shards[target], Array(part[offset..<min(offset + batchSize, part.count)])))
            }
        }
        return batches
    }
}

/// A store in a scratch directory; `encrypted` adds a master key file beside the data directory
/// and passes `body` the key id to encrypt with (nil otherwise).
func withScratchStore(
    policy: FsyncPolicy,
    encrypted: Bool = false,
    _ body: (StreamStore, String?) async throws -> Void
) async throws {
    try await withScratchDirectory { directory in
        var configuration = StorageConfiguration()
        configuration.fsyncPolicy = policy
        let dataDirectory = directory + "/data"
        var keyID: String?
        if encrypted {
            keyID = "alias/bench"
            configuration.masterKeyFile = directory + "/master.keys"
            try MasterKeyFile.createKey(
                named: "alias/bench",
                in: directory + "/master.keys",
                dataDirectory: dataDirectory
            )
        }
        let store = try StreamStore(directory: dataDirectory, configuration: configuration)
        try await body(store, keyID)
        try await store.close()
    }
}
