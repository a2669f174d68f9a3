import StreamQStorage
import Testing

@testable import StreamQSQL

/// Follow-mode semantics driven with a controlled clock: when windows fire, what is late, idle
/// shards, session merging, EMIT CHANGES and checkpoints.
@Suite struct WindowSemanticsTests {
    /// 2026-01-01T00:00:00Z: event times are epoch milliseconds from here.
    static let base: Int64 = 1_767_225_600_000
    let shard0 = ShardID(0)
    let shard1 = ShardID(1)

    func record(_ seconds: Double, key: String = "a", value: Int = 1) -> SQLRecord {
        SQLRecord(#"{"ts":\#(Self.base + Int64(seconds * 1000)),"k":"\#(key)","v":\#(value)}"#)
    }

    func follow(_ sql: String, idleTimeout: Int64 = 30_000, shards: [ShardID]? = nil) throws -> ContinuousQuery {
        var query = ContinuousQuery(plan: try QueryPlanner.plan(sql), idleTimeout: idleTimeout)
        for shard in shards ?? [shard0] { query.register(shard: shard, now: 0) }
        return query
    }

    static let tumbling =
        "SELECT window_start, count(*) AS n, sum(v) AS total FROM s WATERMARK DELAY INTERVAL '1' SECOND GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)"

    @Test func eachWindowFiresOnceWhenTheWatermarkPassesItsEnd() throws {
        var query = try follow(Self.tumbling)
        for seconds in [1.0, 5, 9] { query.add(record(seconds), shard: shard0, now: 1) }
        #expect(query.advance(now: 1).rows.isEmpty, "watermark 8 s: window [0, 10) is still open")
        query.add(record(10.5), shard: shard0, now: 2)
        #expect(query.advance(now: 2).rows.isEmpty, "watermark 9.5 s")
        query.add(record(11.5), shard: shard0, now: 3)
        #expect(
            query.advance(now: 3).rows == [[.timestamp(Self.base), .integer(3), .integer(3)]],
            "watermark 10.5 s passes 10 s"
        )
        query.add(record(15), shard: shard0, now: 4)
        #expect(query.advance(now: 4).rows.isEmpty, "a fired window is not emitted again")
        query.add(record(25), shard: shard0, now: 5)
        #expect(query.advance(now: 5).rows == [[.timestamp(Self.base + 10_000), .integer(3), .integer(3)]])
        #expect(query.statistics.rowsOut == 2)
    }

    @Test func lateRowsAreDroppedCountedAndReportedWithTheirPosition() throws {
        var query = try follow(Self.tumbling)
        query.add(record(1), shard: shard0, now: 1)
        query.add(record(12), shard: shard0, now: 1)
        #expect(query.advance(now: 1).rows.count == 1)
        let late = SQLRecord(
            #"{"ts":\#(Self.base + 3000),"v":100}"#,
            position: SequenceNumber(sequence: 7, shard: shard0)
        )
        query.add(late, shard: shard0, now: 2)
        let (rows, errors) = query.advance(now: 2)
        #expect(rows.isEmpty)
        #expect(query.statistics.late == 1)
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .late)
        #expect(errors.first?.position?.sequence == 7)
        #expect(errors.first?.message.contains("watermark") == true)
    }

    @Test func lateRowsWithinUpdateWithinCorrectTheirWindowAndReEmitIt() throws {
        var query = try follow(Self.tumbling + " ON LATE UPDATE WITHIN INTERVAL '30' SECOND")
        query.add(record(1), shard: shard0, now: 1)
        query.add(record(12), shard: shard0, now: 1)
        #expect(query.advance(now: 1).rows == [[.timestamp(Self.base), .integer(1), .integer(1)]])
        query.add(record(3, value: 5), shard: shard0, now: 2)
        #expect(query.advance(now: 2).rows == [[.timestamp(Self.base), .integer(2), .integer(6)]], "the corrected row")
        #expect(query.statistics.late == 0)
        query.add(record(45), shard: shard0, now: 3)  // watermark 44 s: window [0, 10) is kept until 40 s
        _ = query.advance(now: 3)
        query.add(record(4), shard: shard0, now: 4)
        _ = query.advance(now: 4)
        #expect(query.statistics.late == 1, "past the allowed lateness a row is late after all")
    }

    @Test func anIdleShardStopsHoldingTheWatermarkBack() throws {
        var query = try follow(Self.tumbling, idleTimeout: 30_000, shards: [shard0, shard1])
        for seconds in [1.0, 11, 21, 25] { query.add(record(seconds), shard: shard0, now: 1000) }
        #expect(query.advance(now: 1000).rows.isEmpty, "shard 1 has delivered nothing yet and is not idle")
        #expect(query.watermark == nil)
        // 30 s after its registration shard 1 is idle; shard 0 (active at 1 s) still counts.
        let rows = query.advance(now: 30_500).rows
        #expect(
            rows.map { $0[0] } == [.timestamp(Self.base), .timestamp(Self.base + 10_000)],
            "watermark 24 s from shard 0 alone"
        )
        // When every shard is idle the watermark follows the wall clock, so the last window closes.
        #expect(query.advance(now: Self.base + 100_000).rows.map { $0[0] } == [.timestamp(Self.base + 20_000)])
    }

    @Test func aShardThatLagsHoldsTheWatermarkUntilItCatchesUp() throws {
        var query = try follow(Self.tumbling, shards: [shard0, shard1])
        query.add(record(25), shard: shard0, now: 1)
        query.add(record(2), shard: shard1, now: 1)
        #expect(query.advance(now: 1).rows.isEmpty, "watermark = min(24, 1) s")
        query.add(record(5), shard: shard1, now: 2)
        query.add(record(15), shard: shard1, now: 2)
        #expect(
            query.advance(now: 2).rows.map { $0[1] } == [.integer(2)],
            "window [0,10) with both of shard 1's early rows"
        )
        #expect(query.statistics.late == 0)
    }

    @Test func emitChangesEmitsEveryUpdate() throws {
        var query = try follow(
            "SELECT k, count(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k EMIT CHANGES"
        )
        query.add(record(1), shard: shard0, now: 1)
        #expect(query.advance(now: 1).rows == [[.string("a"), .integer(1)]])
        query.add(record(2), shard: shard0, now: 2)
        query.add(record(3, key: "b"), shard: shard0, now: 2)
        #expect(query.advance(now: 2).rows == [[.string("a"), .integer(2)], [.string("b"), .integer(1)]])
        #expect(query.advance(now: 3).rows.isEmpty, "nothing changed")
    }

    @Test func rowsWithoutAnEventTimeGoToTheErrorOutput() throws {
        var query = try follow(Self.tumbling)
        query.add(SQLRecord(#"{"v":1}"#), shard: shard0, now: 1)
        query.add(SQLRecord(#"{"ts":"yesterday","v":1}"#), shard: shard0, now: 1)
        let errors = query.advance(now: 1).errors
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.kind == .evaluation })
        #expect(errors[0].message.contains("missing"))
        #expect(errors[1].message.contains("yesterday"))
    }

    @Test func eventTimesAreReadInEveryFormat() {
        let expected: Int64 = 1_767_225_601_500
        for text in [
            "2026-01-01T00:00:01.500Z", "2026-01-01 00:00:01.5", "2026-01-01T01:00:01.500+01:00",
            "2025-12-31T19:00:01.500-05:00",
        ] {
            #expect(EventTime.milliseconds(fromText: text) == expected, "\(text)")
        }
        #expect(EventTime.milliseconds(from: .double(1_767_225_601.5)) == expected, "epoch seconds")
        #expect(EventTime.milliseconds(from: .integer(expected)) == expected, "epoch ms")
        #expect(EventTime.milliseconds(from: .integer(expected * 1000)) == expected, "epoch µs")
        #expect(EventTime.milliseconds(from: .string("1767225601500")) == expected, "digits in a string")
        #expect(EventTime.milliseconds(from: .string("soon")) == nil)
    }

    @Test func sessionsMergeWhenARowBridgesTheirGap() throws {
        var query = BoundedQuery(
            plan: try QueryPlanner.plan(
                "SELECT k, window_start, window_end, count(*) AS n FROM s GROUP BY SESSION(ts, INTERVAL '5' SECOND), k ORDER BY k, window_start"
            )
        )
        for seconds in [0.0, 3, 12, 30] { query.add(record(seconds)) }
        query.add(record(1, key: "b"))
        let before = query
        query.add(record(7.5))  // within 5 s of 3 s and of 12 s
        var apart = before
        #expect(apart.finish().rows.count == 4, "a [0,8), a [12,17), a [30,35), b [1,6)")
        #expect(
            query.finish().rows == [
                [.string("a"), .timestamp(Self.base), .timestamp(Self.base + 17_000), .integer(4)],
                [.string("a"), .timestamp(Self.base + 30_000), .timestamp(Self.base + 35_000), .integer(1)],
                [.string("b"), .timestamp(Self.base + 1000), .timestamp(Self.base + 6000), .integer(1)],
            ]
        )
    }

    @Test func sessionsCloseAGapAfterTheirLastRowInFollowMode() throws {
        var query = try follow(
            "SELECT window_start, window_end, count(*) AS n FROM s WATERMARK DELAY INTERVAL '0' SECOND GROUP BY SESSION(ts, INTERVAL '5' SECOND)"
        )
        query.add(record(0), shard: shard0, now: 1)
        query.add(record(4), shard: shard0, now: 1)
        #expect(query.advance(now: 1).rows.isEmpty)
        query.add(record(9.5), shard: shard0, now: 2)  // 5.5 s after the last row: a new session; the first ends at 9 s
        #expect(query.advance(now: 2).rows == [[.timestamp(Self.base), .timestamp(Self.base + 9000), .integer(2)]])
    }

    @Test func hopWindowsEachFireOnce() throws {
        var query = try follow(
            "SELECT window_start, count(*) AS n FROM s WATERMARK DELAY INTERVAL '0' SECOND GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)"
        )
        var fired: [SQLValue] = []
        for seconds in stride(from: 0.0, through: 30, by: 1) {
            query.add(record(seconds), shard: shard0, now: 1)
            fired += query.advance(now: 1).rows.map { $0[0] }
        }
        #expect(fired == [-5000, 0, 5000, 10_000, 15_000, 20_000].map { SQLValue.timestamp(Self.base + Int64($0)) })
        #expect(Set(fired).count == fired.count)
        #expect(query.statistics.late == 0)
    }

    @Test func partialAggregatesMergeIntoTheSameResultAsOneQuery() throws {
        let sql = """
            SELECT k, count(*) AS n, sum(v) AS total, avg(v) AS mean, min(v) AS low, max_by(k, v) AS top, stddev_samp(v) AS spread,
                   count(DISTINCT v) AS values, approx_count_distinct(v) AS estimate, approx_percentile(v, 0.5) AS median
            FROM s GROUP BY k ORDER BY k
            """
        let plan = try QueryPlanner.plan(sql)
        let records = (0..<3000).map { index in
            record(Double(index), key: ["a", "b", "c"][index % 3], value: (index * 7919) % 1000)
        }
        var whole = BoundedQuery(plan: plan)
        var parts = [BoundedQuery(plan: plan), BoundedQuery(plan: plan), BoundedQuery(plan: plan)]
        for (index, record) in records.enumerated() {
            whole.add(record)
            parts[index * 3 / records.count].add(record)
        }
        var merged = parts[0]
        merged.merge(parts[1])
        merged.merge(parts[2])
        let expected = whole.finish().rows
        let actual = merged.finish().rows
        #expect(actual.count == expected.count)
        for (left, right) in zip(actual, expected) {
            for (a, b) in zip(left, right) {
                if case .double(let x) = a, case .double(let y) = b {
                    #expect(abs(x - y) <= 1e-9 * max(1, abs(y)))
                } else {
                    #expect(a == b)
                }
            }
        }
    }

    @Test func sketchesStayWithinTheirStatedError() {
        var hll = HyperLogLog()
        for value in 0..<100_000 { hll.insert(.integer(Int64(value))) }
        #expect(abs(Double(hll.estimate) - 100_000) / 100_000 < 0.05)
        var small = HyperLogLog()
        for value in 0..<200 { small.insert(.string("u\(value % 150)")) }
        #expect(small.estimate == 150, "exact below 256 distinct values")

        var sketch = QuantileSketch()
        var values: [Double] = []
        var state: UInt64 = 42
        for _ in 0..<50_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(state >> 11) / Double(1 << 53) * 1000 + 0.01
            values.append(value)
            sketch.insert(value)
        }
        values.sort()
        for fraction in [0.01, 0.5, 0.95, 0.99] {
            let exact = values[max(0, Int((fraction * Double(values.count)).rounded(.up)) - 1)]
            let estimate = sketch.quantile(fraction)!
            #expect(abs(estimate - exact) / exact <= 0.0101, "p\(fraction): \(estimate) vs \(exact)")
        }
    }

    @Test func aCheckpointResumesWithTheSameWindowsAndNoRepeats() throws {
        let directory = "/tmp/streamq-checkpoint-\(UInt64.random(in: 0..<UInt64.max))"
        defer { try? FileSystem.removeTree(directory) }
        let plan = try QueryPlanner.plan(Self.tumbling)
        let checkpoint = try QueryCheckpoint(name: "q", dataDirectory: directory)
        var first = FollowState(query: ContinuousQuery(plan: plan))
        first.query.register(shard: shard0, now: 0)
        for seconds in [1.0, 2, 11.5] { first.query.add(record(seconds), shard: shard0, now: 1) }
        first.query.add(SQLRecord(#"{"ts":\#(Self.base + 13000),"k":"x","v":2}"#), shard: shard0, now: 1)
        first.positions[shard0] = 4
        #expect(first.query.advance(now: 1).rows == [[.timestamp(Self.base), .integer(2), .integer(2)]])
        try checkpoint.save(try first.encoded())

        let saved = try #require(try checkpoint.load())
        var resumed = try FollowState(decoding: saved, plan: plan, idleTimeout: 30_000, origin: checkpoint.path)
        #expect(resumed.positions[shard0] == 4)
        #expect(resumed.query.statistics.rowsOut == 1)
        resumed.query.add(record(21), shard: shard0, now: 2)
        #expect(
            resumed.query.advance(now: 2).rows == [[.timestamp(Self.base + 10_000), .integer(2), .integer(3)]],
            "state from before the restart"
        )
        resumed.query.add(record(5), shard: shard0, now: 3)
        _ = resumed.query.advance(now: 3)
        #expect(resumed.query.statistics.late == 1, "the restored watermark still makes old rows late")

        #expect(throws: SQLError.self) { try QueryCheckpoint(name: "../escape", dataDirectory: directory) }
        let other = try QueryPlanner.plan("SELECT 1 AS x FROM s")
        #expect(throws: SQLError.self) {
            try FollowState(decoding: saved, plan: other, idleTimeout: 1, origin: checkpoint.path)
        }
    }

    @Test func aResumedQueryDoesNotCountTheTimeItWasStoppedAsSilence() throws {
        let directory = "/tmp/streamq-checkpoint-\(UInt64.random(in: 0..<UInt64.max))"
        defer { try? FileSystem.removeTree(directory) }
        let plan = try QueryPlanner.plan(Self.tumbling)
        let checkpoint = try QueryCheckpoint(name: "q", dataDirectory: directory)
        var first = FollowState(query: ContinuousQuery(plan: plan))
        first.query.register(shard: shard0, now: 0)
        first.query.add(record(1), shard: shard0, now: 1)
        first.positions[shard0] = 1
        _ = first.query.advance(now: 1)
        try checkpoint.save(try first.encoded())

        // Resumed long after the idle timeout (the stopped process read nothing): the backlog the
        // shard still holds must not be late because the watermark jumped to the wall clock.
        let saved = try #require(try checkpoint.load())
        var resumed = try FollowState(decoding: saved, plan: plan, idleTimeout: 30_000, origin: checkpoint.path)
        let now = FollowQueryRunner.wallClock()
        #expect(resumed.query.advance(now: now).rows.isEmpty, "the shard is not idle: window [0, 10) stays open")
        resumed.query.add(record(5), shard: shard0, now: now)
        resumed.query.add(record(12), shard: shard0, now: now)
        #expect(resumed.query.advance(now: now).rows == [[.timestamp(Self.base), .integer(2), .integer(2)]])
        #expect(resumed.query.statistics.late == 0)
    }
}
