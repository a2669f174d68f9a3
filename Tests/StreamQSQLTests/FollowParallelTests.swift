import StreamQClient
import StreamQStorage
import Synchronization
import Testing

@testable import StreamQSQL

#if canImport(Glibc)
import Glibc
#endif

/// Follow mode reads shards in parallel: each shard's batch is evaluated on a task of its own
/// (fast path, row engine, late rows) and the batches are applied in shard order. What comes out
/// must be what one reader feeding the records one by one produces: the same rows in the same
/// order, the same errors, and the same saved state.
@Suite struct FollowParallelTests {
    static let base: Int64 = 1_767_225_600_000

    /// Records of three shards over `rounds` rounds: keys the fast path groups and keys it leaves
    /// to the row engine (text beyond ASCII), fractional numbers whose sum depends on the order of
    /// the additions, values no aggregate takes, and rows behind the watermark.
    static func records(round: Int, shard: Int) -> [String] {
        (0..<40).map { index in
            let n = round * 40 + index
            let seconds = Double(n) * 0.25 + Double(shard) * 0.1 - (index == 7 ? 12 : 0)  // one late row a batch
            let key = ["a", "b", "é", "c"][(n + shard) % 4]
            let value = index == 13 ? #""x""# : "0.\(n % 10 + 1)"
            return #"{"ts":\#(base + Int64(seconds * 1000)),"k":"\#(key)","v":\#(value)}"#
        }
    }

    /// Feeds the same records one by one, and as batches evaluated apart and applied in shard
    /// order, and expects the same rows, errors and saved state after every round.
    func expectBatchesMatchOneByOne(_ sql: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let plan = try QueryPlanner.plan(sql)
        let shards = (0..<3).map { ShardID($0) }
        var single = FollowState(query: ContinuousQuery(plan: plan))
        var batched = FollowState(query: ContinuousQuery(plan: plan))
        var evaluators = try shards.map { _ in try batched.query.makeEvaluator() }
        for shard in shards {
            single.query.register(shard: shard, now: 0)
            batched.query.register(shard: shard, now: 0)
        }
        for round in 0..<6 {
            let now = Int64(round + 1)
            var batches: [FollowBatch] = []
            for (index, shard) in shards.enumerated() {
                var batch = evaluators[index].makeBatch(shard: shard, now: now, watermark: batched.query.batchWatermark)
                for (sequence, text) in Self.records(round: round, shard: index).enumerated() {
                    let record = SQLRecord(text, position: SequenceNumber(sequence: UInt64(sequence), shard: shard))
                    single.query.add(record, shard: shard, now: now)
                    record.data.withUnsafeBytes { data in
                        let view = RecordView(
                            sequence: UInt64(sequence),
                            arrivalMilliseconds: 0,
                            partitionKey: .empty,
                            explicitHashKey: nil,
                            data: data,
                            isEncrypted: false
                        )
                        evaluators[index].add(view, to: &batch)
                    }
                }
                evaluators[index].finish(batch)
                batches.append(batch)
            }
            for batch in batches { batched.query.apply(batch) }
            let expected = single.query.advance(now: now)
            let got = batched.query.advance(now: now)
            #expect(got.rows == expected.rows, "round \(round)", sourceLocation: sourceLocation)
            #expect(got.errors == expected.errors, "round \(round)", sourceLocation: sourceLocation)
            // Batches carry on from a saved state as a run resumed from its checkpoint does.
            batched = try FollowState(decoding: batched.encoded(), plan: plan, idleTimeout: 30_000, origin: "test")
        }
        #expect(batched.query.statistics == single.query.statistics, sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        // The fast path: sums and averages of fractional numbers keep their order of addition.
        "SELECT window_start, k, count(*) AS n, sum(v) AS s, avg(v) AS a, min(v) AS lo FROM s WATERMARK DELAY INTERVAL '2' SECOND GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), k",
        "SELECT window_start, k, count(*) AS n, max(v) AS hi FROM s WATERMARK DELAY INTERVAL '1' SECOND GROUP BY HOP(ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND), k",
        // count(DISTINCT) in typed sets (TUMBLE, no window), and in the row engine's (HOP of several panes).
        "SELECT window_start, k, count(DISTINCT v) AS vs, count(*) AS n FROM s WATERMARK DELAY INTERVAL '2' SECOND GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), k",
        "SELECT k, count(DISTINCT v) AS vs, count(DISTINCT ts) AS times FROM s GROUP BY k",
        "SELECT window_start, count(DISTINCT k) AS ks FROM s WATERMARK DELAY INTERVAL '1' SECOND GROUP BY HOP(ts, INTERVAL '2' SECOND, INTERVAL '6' SECOND)",
        // The row engine alone: a key the fast path does not group by, partial states merged.
        "SELECT window_start, upper(k) AS key, count(*) AS n, max(v) AS hi FROM s WATERMARK DELAY INTERVAL '2' SECOND GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), upper(k)",
        // The row engine alone, rows handed over evaluated (a sum's partial states would round differently).
        "SELECT window_start, upper(k) AS key, sum(v) AS s, stddev(v) AS sd FROM s WATERMARK DELAY INTERVAL '2' SECOND GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), upper(k)",
        "SELECT k, window_start, count(*) AS n, max(v) AS hi FROM s WATERMARK DELAY INTERVAL '3' SECOND GROUP BY SESSION(ts, INTERVAL '1' SECOND), k",
        "SELECT window_start, k, count(*) AS n, sum(v) AS s FROM s WATERMARK DELAY INTERVAL '2' SECOND GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), k EMIT CHANGES",
        "SELECT window_start, k, sum(v) AS s FROM s WATERMARK DELAY INTERVAL '1' SECOND GROUP BY TUMBLE(ts, INTERVAL '2' SECOND), k ON LATE UPDATE WITHIN INTERVAL '20' SECOND",
        "SELECT k, count(*) AS n, sum(v) AS s FROM s WHERE v > 0.3 GROUP BY k",
        "SELECT ts, k, v FROM s WHERE v > 0.5 OR k = 'é'",
    ])
    func batchesAppliedInShardOrderGiveWhatOneByOneGives(sql: String) throws {
        try expectBatchesMatchOneByOne(sql)
    }

    /// A follow query over a multi-shard store, stopped while its next round is being read, and
    /// resumed from its checkpoint: every window once, each with all its records, as one
    /// uninterrupted run gives them.
    @Test func aStoppedFollowQueryResumesFromItsCheckpointWithEveryWindowOnce() async throws {
        let directory = "/tmp/streamq-follow-parallel-\(UInt64.random(in: 0..<UInt64.max))"
        defer { try? FileSystem.removeTree(directory) }
        var configuration = StorageConfiguration()
        configuration.fsyncPolicy = .never
        let store = try StreamStore(directory: directory + "/data", configuration: configuration)
        let stream = StreamName(rawValue: "events")!
        try store.createStream(stream, shardCount: 4)
        // 12 keys × 3,000 numbers: each shard holds more than one batch, so rounds follow rounds.
        let keys = 12
        let numbers = 3000
        for first in stride(from: 0, to: numbers, by: 100) {
            var records: [AppendRecord] = []
            for n in first..<(first + 100) {
                for key in 0..<keys {
                    records.append(
                        AppendRecord(
                            partitionKey: "k\(key)",
                            data: #"{"ts":\#(Self.base + Int64(n) * 100),"k":"k\#(key)","v":0.\#(n % 10 + 1)}"#
                        )
                    )
                }
            }
            _ = try await store.append(to: stream, records)
        }
        _ = try await store.append(
            to: stream,
            (0..<64).map { AppendRecord(partitionKey: "closer-\($0)", data: #"{"ts":\#(Self.base + 3_600_000)}"#) }
        )
        let sql =
            "SELECT window_start, count(*) AS n, sum(v) AS s FROM events WATERMARK DELAY INTERVAL '0' SECOND GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)"
        let runner = FollowQueryRunner(
            plan: try QueryPlanner.plan(sql),
            backend: store,
            stream: stream,
            stopWhenCaughtUp: true
        )
        let uninterrupted = EmittedRows()
        _ = try await runner.run(emit: { uninterrupted.append($0) }, reportErrors: { _ in })

        let checkpoint = try QueryCheckpoint(name: "q", dataDirectory: directory)
        let collected = EmittedRows()
        let firstRows = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await runner.run(
                    checkpoint: checkpoint,
                    emit: { rows in
                        collected.append(rows)
                        firstRows.continuation.yield()
                        // Holds the run here until it is stopped, with the next round being read.
                        for _ in 0..<10_000 where !Task.isCancelled { usleep(1000) }
                    },
                    reportErrors: { _ in }
                )
            }
            for await _ in firstRows.stream { break }
            group.cancelAll()
        }
        let beforeStop = collected.rows.count
        _ = try await runner.run(checkpoint: checkpoint, emit: { collected.append($0) }, reportErrors: { _ in })
        let rows = collected.rows
        #expect(beforeStop > 0 && beforeStop < rows.count, "stopped part-way")
        #expect(rows == uninterrupted.rows)
        #expect(rows.count == numbers / 10)
        #expect(rows.allSatisfy { $0[1] == .integer(Int64(10 * keys)) })
    }
}

/// Rows a follow query emitted, from whichever task emits them.
final class EmittedRows: Sendable {
    private let collected = Mutex<[[SQLValue]]>([])

    var rows: [[SQLValue]] { collected.withLock { $0 } }
    func append(_ rows: [[SQLValue]]) { collected.withLock { $0 += rows } }
}
