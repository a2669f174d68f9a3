import StreamQStorage
import Testing

@testable import StreamQSQL

/// count_if, bool_and/bool_or, median and the exact quantiles, mode, string_agg, arg_min/arg_max and
/// approx_top_k: their values with NULLs and missing fields, and the same values when the rows are
/// split over workers and merged, or carried through a follow query's checkpoint.
@Suite struct AggregateFunctionTests {
    /// Six requests; one without latency, one with a NULL user, one not JSON.
    static let lines = [
        #"{"ts":1767225600000,"host":"a","ok":true,"latency":10,"user":"ünï"}"#,
        #"{"ts":1767225601000,"host":"a","ok":false,"latency":40,"user":"Ωmega"}"#,
        #"{"ts":1767225602000,"host":"b","ok":true,"latency":20,"user":"ünï"}"#,
        #"{"ts":1767225603000,"host":"a","ok":null,"user":null}"#,
        #"{"ts":1767225604000,"host":"b","ok":true,"latency":30,"user":"bob"}"#,
        #"{"ts":1767225605000,"host":"a","ok":true,"latency":25.5,"user":"ünï"}"#,
        "not json",
    ]

    static func records(_ lines: [String] = lines) -> [SQLRecord] {
        lines.enumerated().map { index, text in
            SQLRecord(
                text,
                arrivalMilliseconds: Int64(index),
                position: SequenceNumber(sequence: UInt64(index), shard: ShardID(0))
            )
        }
    }

    /// The query over all rows in one piece, and split in two partial queries merged (as the bounded
    /// runner's workers are): both must give `expected`.
    func expectRows(
        _ sql: String,
        _ expected: [[SQLValue]],
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let plan = try QueryPlanner.plan(sql)
        var whole = BoundedQuery(plan: plan)
        for record in Self.records() { whole.add(record) }
        #expect(whole.finish().rows == expected, "one worker", sourceLocation: sourceLocation)
        for split in [1, 3, 5] {
            var first = BoundedQuery(plan: plan)
            var second = BoundedQuery(plan: plan)
            for (index, record) in Self.records().enumerated() {
                if index < split { first.add(record) } else { second.add(record) }
            }
            second.merge(first)
            #expect(second.finish().rows == expected, "merged at \(split)", sourceLocation: sourceLocation)
        }
    }

    @Test func countIfAndBooleanAggregatesSkipNulls() throws {
        try expectRows(
            "SELECT host, count_if(ok) AS n, count_if(latency > 15) AS slow, bool_and(ok) AS every, bool_or(ok) AS some FROM s GROUP BY host ORDER BY host",
            [
                [.string("a"), .integer(2), .integer(2), .boolean(false), .boolean(true)],
                [.string("b"), .integer(2), .integer(2), .boolean(true), .boolean(true)],
            ]
        )
        try expectRows(
            "SELECT count_if(ok) AS n, bool_and(ok) AS every FROM s WHERE ok IS NULL",
            [[.null, .null]]
        )
    }

    @Test func booleanAggregatesRefuseOtherValuesPerRow() throws {
        var query = BoundedQuery(plan: try QueryPlanner.plan("SELECT bool_or(host) AS b FROM s"))
        for record in Self.records() { query.add(record) }
        #expect(query.finish().rows == [[.null]])
        #expect(query.errors.first?.message == "line 1, column 8: bool_or needs booleans, got a")
    }

    @Test func medianAndExactQuantilesAsDuckDB() throws {
        try expectRows(
            "SELECT median(latency) AS m, quantile_cont(latency, 0.25) AS q1, quantile_disc(latency, 0.25) AS d1, quantile_disc(latency, 0.75) AS d3, quantile_disc(user, 0.5) AS u FROM s",
            [[.double(25.5), .double(20), .integer(20), .integer(30), .string("ünï")]]
        )
        try expectRows(
            "SELECT host, median(latency) AS m, quantile_disc(latency, 1) AS top FROM s GROUP BY host ORDER BY host",
            [[.string("a"), .double(25.5), .integer(40)], [.string("b"), .double(25), .integer(30)]]
        )
        try expectRows(
            "SELECT quantile_cont(latency, [0.25, 0.5]) AS c, quantile_disc(user, [0, 1]) AS d FROM s",
            [[.json("[20.0,25.5]"), .json(#"["bob","Ωmega"]"#)]]
        )
        try expectRows(
            "SELECT median(latency) AS m, quantile_disc(latency, [0.5]) AS d FROM s WHERE host = 'none'",
            [[.null, .null]]
        )
    }

    @Test func modeTakesTheMostFrequentValueAndTheSmallestOnTies() throws {
        try expectRows(
            "SELECT mode(user) AS u, mode(host) AS h, mode(latency) AS l FROM s",
            [[.string("ünï"), .string("a"), .integer(10)]]
        )
    }

    @Test func stringAggJoinsInItsOrderByOrInputOrder() throws {
        try expectRows(
            "SELECT host, string_agg(user, ', ' ORDER BY latency DESC NULLS FIRST) AS users, string_agg(DISTINCT user) AS distinct_users FROM s GROUP BY host ORDER BY host",
            [
                [.string("a"), .string("Ωmega, ünï, ünï"), .string("ünï,Ωmega")],
                [.string("b"), .string("bob, ünï"), .string("bob,ünï")],
            ]
        )
        try expectRows(
            "SELECT string_agg(latency, '|' ORDER BY ts) AS l, string_agg(ts, '' ORDER BY ts) FILTER (WHERE false) AS none FROM s",
            [[.string("10|40|20|30|25.5"), .null]]
        )
        // Without ORDER BY the values come in input order within one worker.
        var query = BoundedQuery(plan: try QueryPlanner.plan("SELECT string_agg(host, '') AS h FROM s"))
        for record in Self.records() { query.add(record) }
        #expect(query.finish().rows == [[.string("aabab" + "a")]])
    }

    @Test func argMinAndArgMaxAreMinByAndMaxBy() throws {
        try expectRows(
            "SELECT arg_min(user, latency) AS fastest, arg_max(user, latency) AS slowest, min_by(user, latency) AS same FROM s",
            [[.string("ünï"), .string("Ωmega"), .string("ünï")]]
        )
    }

    @Test func approxTopKListsTheMostFrequentValues() throws {
        try expectRows(
            "SELECT approx_top_k(user, 2) AS users, approx_top_k(host, 5) AS hosts, approx_top_k(latency, 1) FILTER (WHERE false) AS none FROM s",
            [[.json(#"["ünï","bob"]"#), .json(#"["a","b"]"#), .null]]
        )
    }

    @Test func heavyHittersFindEveryValueAboveTheirErrorBound() {
        // 10,000 rows: values 0..<4 take 1,000 rows each, 6,000 others are all different.
        let k = 4
        var sketches = [HeavyHitters(k: k), HeavyHitters(k: k), HeavyHitters(k: k)]
        var counts: [SQLValue: Int64] = [:]
        for row in 0..<10_000 {
            let value: SQLValue = row % 10 < 4 ? .integer(Int64(row % 10)) : .string("noise-\(row)")
            counts[value, default: 0] += 1
            sketches[row % 3].insert(value)
        }
        var merged = sketches[0]
        merged.merge(sketches[1])
        merged.merge(sketches[2])
        let bound = 10_000 / Int64(merged.capacity + 1)
        #expect(merged.counters.count <= merged.capacity)
        for (value, estimate) in merged.counters {
            #expect(estimate <= counts[value]!)
            #expect(counts[value]! - estimate <= bound, "\(value): \(estimate) of \(counts[value]!)")
        }
        #expect(Set(merged.top) == Set((0..<4).map { SQLValue.integer(Int64($0)) }))
    }

    @Test func aCheckpointKeepsInfiniteValues() throws {
        let plan = try QueryPlanner.plan("SELECT max(v) AS top, median(v) AS m, sum(v) AS total FROM s")
        var first = FollowState(query: ContinuousQuery(plan: plan))
        first.query.register(shard: ShardID(0), now: 0)
        first.query.add(SQLRecord(#"{"v":1e999}"#), shard: ShardID(0), now: 1)
        first.query.add(SQLRecord(#"{"v":2}"#), shard: ShardID(0), now: 1)
        _ = first.query.advance(now: 1)
        var resumed = try FollowState(decoding: try first.encoded(), plan: plan, idleTimeout: 1, origin: "test")
        resumed.query.add(SQLRecord(#"{"v":3}"#), shard: ShardID(0), now: 2)
        #expect(resumed.query.advance(now: 2).rows == [[.double(.infinity), .double(3), .double(.infinity)]])
    }

    @Test func valueHoldingAggregatesResumeFromAFollowCheckpoint() throws {
        let sql = """
            SELECT window_start, median(v) AS m, quantile_disc(v, 0.5) AS d, mode(k) AS top,
                   string_agg(k, '' ORDER BY v) AS ks, approx_top_k(k, 1) AS hitters, count_if(v > 1) AS big
            FROM s WATERMARK DELAY INTERVAL '1' SECOND GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)
            """
        let plan = try QueryPlanner.plan(sql)
        let shard = ShardID(0)
        func record(_ seconds: Int64, _ key: String, _ value: Int) -> SQLRecord {
            SQLRecord(#"{"ts":\#(1_767_225_600_000 + seconds * 1000),"k":"\#(key)","v":\#(value)}"#)
        }
        var first = FollowState(query: ContinuousQuery(plan: plan))
        first.query.register(shard: shard, now: 0)
        first.query.add(record(1, "x", 3), shard: shard, now: 1)
        first.query.add(record(2, "y", 1), shard: shard, now: 1)
        #expect(first.query.advance(now: 1).rows.isEmpty)
        var resumed = try FollowState(
            decoding: try first.encoded(),
            plan: plan,
            idleTimeout: 30_000,
            origin: "test"
        )
        resumed.query.add(record(3, "x", 2), shard: shard, now: 2)
        resumed.query.add(record(12, "z", 9), shard: shard, now: 2)
        #expect(
            resumed.query.advance(now: 2).rows == [
                [
                    .timestamp(1_767_225_600_000), .double(2), .integer(2), .string("x"), .string("yxx"),
                    .json(#"["x"]"#), .integer(2),
                ]
            ]
        )
    }
}
