import Foundation
import StreamQStorage
import Testing

@testable import StreamQSQL

/// The fast path must give exactly the row engine's answers: the same rows, counts and errors,
/// over records whose values have every type in every field, text beyond ASCII, escapes, bad JSON.
@Suite struct FastPathTests {
    static let texts: [String] = {
        var texts: [String] = []
        let methods = ["GET", "POST", "GET", "PUT"]
        for index in 0..<400 {
            let ts = 1_767_225_600_000 + Int64(index) * 1_700
            let status = [200, 200, 404, 500, 503][index % 5]
            let latency = Double(index % 37) * 0.25
            texts.append(
                #"{"ts":\#(ts),"method":"\#(methods[index % 4])","path":"/api/v\#(index % 3)/items","status":\#(status),"bytes":\#(index * 13 % 997),"latency_ms":\#(latency),"ok":\#(index % 3 == 0)}"#
            )
        }
        texts += [
            #"{"ts":1767225601000,"method":"GET","status":"200","latency_ms":"12","bytes":1}"#,
            #"{"ts":1767225602000,"method":"GET","status":200.0,"latency_ms":true,"bytes":2.5}"#,
            #"{"ts":1767225603000,"method":"GÉT","status":null,"latency_ms":{"p50":3},"bytes":null}"#,
            #"{"ts":1767225604000,"method":"G\"ET","path":"/api/\u00e9","status":404,"latency_ms":-0.0}"#,
            #"{"ts":1767225605000,"method":"GET","path":"/ñ/é","status":500,"latency_ms":0.0,"ok":null}"#,
            #"{"ts":"2026-01-01T00:01:06Z","method":"GET","status":503,"latency_ms":1e3,"bytes":12345678901234567890}"#,
            #"{"ts":1767225607.5,"method":"POST","status":200,"status":503,"latency_ms":7}"#,
            #"{"method":"GET","status":200,"latency_ms":1}"#,
            #"{"ts":null,"method":"GET","status":500,"latency_ms":2}"#,
            #"{"ts":1767225608000,"sta\u0074us":500,"method":"GET","latency_ms":3}"#,
            #"{"ts":1767225609000,"method":"GET","status":500,"latency_ms":4,"tail":[1,2"#,
            #"["not","an","object"]"#,
            "not json at all",
            #"{"ts":1767225610000,"method":"GET","status":404,"path":"/api/x","latency_ms":99.75,"ok":false}"#,
            // Whitespace everywhere, nested values, escapes in fields nobody reads, odd numbers.
            " {\n\t\"ts\" : 1767225612000 ,\r\n \"method\":\"GET\" , \"status\": 500, \"latency_ms\" : 6.5 } ",
            #"{"ts":1767225613000,"headers":{"a":[1,{"b":"}"}]},"method":"GET","status":500,"latency_ms":7.25,"ua":"say "hi""}"#,
            #"{"ts":1767225614000,"method":"GET","status":-0,"latency_ms":1E2,"bytes":-12.5e-1}"#,
            #"{"ts":1767225615000,"method":"GET","status":500,"latency_ms":3,"tags":[]}trailing"#,
            #"{"ts":1767225616000,"method":"GET","status":500,"latency_ms":3,"x":tru}"#,
            #"{"ts":1767225617000,"method":"GET","status":500,"latency_ms":3,}"#,
            #"{"ts":1767225618000 "method":"GET"}"#,
            #"{}"#,
            #"{"ts":1767225619000,"method":"GET","status":200,"latency_ms":2,"bytes":100}   "#,
            // Keys that differ from the layout the records before taught (one byte longer, spaced
            // out, too long to remember, in another order), and numbers at the edges of what is
            // read in passing.
            #"{"ts":1767225620000,"method":"GET","paths":"/x","status":500,"latency_ms":12345678901234.5}"#,
            #"{"ts":1767225621000,"method":"GET","path" :"/x","status" : 503,"latency_ms":1234567890123456.5}"#,
            #"{"ts":1767225622000,"method":"GET","path_of_the_request":"/x","status":500,"bytes":1234567890123456789}"#,
            #"{"status":500,"ts":1767225623000,"latency_ms":-0.25,"method":"GET","bytes":-7}"#,
            #"{"ts":1767225624000,"method":"GET","status":5e2,"latency_ms":1.,"bytes":-}"#,
            #"{"ts":1767225625000,"method":"GET","status":500,"latency_ms":.5,"bytes":1.2.3}"#,
            #"{"ts":1767225626000,"status":404}"#,
            // Numbers read a word (eight bytes) at a time: runs of eight digits and more, ending
            // at the record's end, too long to be exact, with leading zeros and exponents.
            #"{"ts":1767225627000,"method":"GET","status":500,"latency_ms":12345678}"#,
            #"{"ts":1767225628000,"method":"GET","status":503,"latency_ms":0.123456789,"bytes":123456789012345678}"#,
            #"{"ts":1767225629000,"method":"GET","status":500,"latency_ms":1234567.12345678,"bytes":-999999999999999999}"#,
            #"{"ts":1767225630000,"method":"GET","status":500,"latency_ms":12345678.12345678,"bytes":9223372036854775807}"#,
            #"{"ts":1767225631000,"method":"GET","status":00500,"latency_ms":87654321.5,"bytes":12345678e1}"#,
            #"{"ts":1767225632000,"method":"GET","bytes":99999999999999999999,"status":5}"#,
            #"{"ts":1767225633000,"method":"GET","latency_ms":-12345678.25,"status":50012345678}"#,
        ]
        return texts
    }()

    static let queries = [
        "SELECT window_start, status, count(*) AS n, avg(latency_ms) AS mean, max(latency_ms) AS worst, min(latency_ms) AS best, sum(bytes) AS total, count(latency_ms) AS measured FROM logs WHERE method = 'GET' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status ORDER BY window_start, status",
        "SELECT ts, path, status, latency_ms FROM logs WHERE status >= 500 AND latency_ms > 5 ORDER BY ts, path",
        "SELECT status, count(*) AS n FROM logs WHERE status IN (200, 404) GROUP BY status ORDER BY status",
        "SELECT status, count(*) AS n FROM logs WHERE status NOT IN (200, NULL) GROUP BY status ORDER BY status",
        "SELECT path, count(*) AS n FROM logs WHERE path LIKE '/api/%1%' GROUP BY path ORDER BY path",
        "SELECT method, count(*) AS n FROM logs WHERE method ILIKE 'g_t' OR path NOT LIKE '%items' GROUP BY method ORDER BY method",
        "SELECT count(*) AS n, sum(bytes) AS b FROM logs WHERE status BETWEEN 200 AND 299",
        "SELECT count(*) AS n FROM logs WHERE status NOT BETWEEN 200 AND 404",
        "SELECT count(*) AS missing, max(ts) AS last FROM logs WHERE latency_ms IS NULL OR bytes IS NOT NULL AND ok = true",
        "SELECT method, ok, count(*) AS n, avg(bytes) AS mean FROM logs WHERE NOT (status = 200) GROUP BY method, ok ORDER BY method, ok",
        "SELECT latency_ms, count(*) AS n FROM logs WHERE 500 <= status AND latency_ms > -1.5 GROUP BY latency_ms ORDER BY latency_ms",
        "SELECT window_start, method, count(*) AS n, max(bytes) AS biggest FROM logs GROUP BY HOP(ts, INTERVAL '30' SECOND, INTERVAL '2' MINUTE), method ORDER BY window_start, method",
        "SELECT window_start, count(*) AS n FROM logs GROUP BY TUMBLE(_arrival, INTERVAL '1' SECOND) ORDER BY window_start",
        "SELECT count(*) AS n FROM logs",
        "SELECT status, sum(latency_ms) AS s, min(status) AS lowest FROM logs WHERE ok = true OR ok = false GROUP BY status ORDER BY status",
        "SELECT path FROM logs WHERE method <> 'GET' AND status = 'x'",
        "SELECT count(*) AS n FROM logs WHERE method < 'H' AND method >= 'GET'",
        "SELECT status, count(DISTINCT method) AS methods, sum(DISTINCT bytes) AS b, avg(DISTINCT latency_ms) AS l, min(DISTINCT path) AS p, approx_count_distinct(path) AS paths, approx_percentile(latency_ms, 0.9) AS p90, stddev(bytes) AS sd, var_samp(latency_ms) AS v FROM logs GROUP BY status ORDER BY status",
        "SELECT window_start, count(DISTINCT path) AS paths, variance(bytes) AS v FROM logs WHERE method IN ('GET', 'PUT') GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE) ORDER BY window_start",
        "SELECT method, window_start, window_end, count(*) AS n, max(latency_ms) AS worst, sum(bytes) AS b FROM logs GROUP BY SESSION(ts, INTERVAL '3' SECOND), method ORDER BY method, window_start",
        "SELECT status, window_start, count(*) AS n FROM logs WHERE ok = false GROUP BY SESSION(ts, INTERVAL '20' SECOND), status ORDER BY status, window_start",
    ]

    func records() -> [SQLRecord] {
        var records = Self.texts.enumerated().map { index, text in
            SQLRecord(
                data: Array(text.utf8),
                arrivalMilliseconds: 1_767_225_600_000 + Int64(index) * 7,
                position: SequenceNumber(sequence: UInt64(index), shard: ShardID(0))
            )
        }
        // A string that is not UTF-8.
        records.append(
            SQLRecord(
                data: Array(#"{"ts":1767225611000,"method":"GET","path":"/"#.utf8) + [0xFF, 0xFE]
                    + Array(#"","status":200,"latency_ms":1}"#.utf8),
                arrivalMilliseconds: 1_767_225_700_000,
                position: SequenceNumber(sequence: UInt64(records.count), shard: ShardID(0))
            )
        )
        return records
    }

    @Test(arguments: queries) func fastPathGivesTheRowEnginesAnswer(sql: String) throws {
        let plan = try QueryPlanner.plan(sql)
        var reference = BoundedQuery(plan: plan, fastPath: false)
        var fast = BoundedQuery(plan: plan, fastPath: true)
        for record in records() {
            reference.add(record)
            fast.add(record)
        }
        #expect(fast.fastPathRowCount > 0, "the fast path took no row of \(sql)")
        let expected = reference.finish()
        let actual = fast.finish()
        #expect(actual.columns == expected.columns)
        #expect(actual.rows.count == expected.rows.count, "\(sql)")
        // Rows that tie in ORDER BY (3 and 3.0, say) may come in either order.
        for (mine, theirs) in zip(Self.canonical(actual.rows), Self.canonical(expected.rows)) {
            #expect(Self.same(mine, theirs), "\(sql)\n  fast: \(mine)\n  rows: \(theirs)")
        }
        #expect(fast.statistics == reference.statistics, "\(sql)")
        #expect(fast.errors.map(\.message) == reference.errors.map(\.message))
        #expect(Set(fast.errors.compactMap(\.position)) == Set(reference.errors.compactMap(\.position)))
    }

    /// Rows out of time order make sessions the fast path declines to extend backwards; the row
    /// engine's sessions for them bridge the fast path's when merged.
    @Test func sessionsOfRowsOutOfOrderMergeAsTheRowEngineMergesThem() throws {
        let sql =
            "SELECT method, window_start, window_end, count(*) AS n FROM logs GROUP BY SESSION(ts, INTERVAL '3' SECOND), method ORDER BY method, window_start"
        let plan = try QueryPlanner.plan(sql)
        var reference = BoundedQuery(plan: plan, fastPath: false)
        var fast = BoundedQuery(plan: plan, fastPath: true)
        // Every third row first, then the rest: the later rows fall into and between earlier sessions.
        let all = records()
        let shuffled =
            stride(from: 0, to: all.count, by: 3).map { all[$0] } + all.indices.filter { $0 % 3 != 0 }.map { all[$0] }
        for record in shuffled {
            reference.add(record)
            fast.add(record)
        }
        #expect(fast.fastPathRowCount > 0)
        let expected = reference.finish()
        let actual = fast.finish()
        #expect(actual.rows == expected.rows)
    }

    /// Sessions of many partial queries (contiguous stretches and interleaved rows, merged in a
    /// scrambled order) come out as one query's: merging touches only the sessions within reach.
    @Test(arguments: [1_000, 1_800, 5_000]) func sessionsOfManyPartialQueriesMergeIntoOneQuerysSessions(
        gap: Int
    )
        throws
    {
        let sql =
            "SELECT method, window_start, window_end, count(*) AS n, sum(bytes) AS b FROM logs GROUP BY SESSION(ts, INTERVAL '\(gap)' MILLISECOND), method ORDER BY method, window_start"
        let plan = try QueryPlanner.plan(sql)
        var reference = BoundedQuery(plan: plan, fastPath: false)
        let all = records()
        for record in all { reference.add(record) }
        var partials = (0..<9).map { BoundedQuery(plan: plan, fastPath: $0 % 2 == 0) }
        for (index, record) in all.enumerated() {
            // Four contiguous stretches, and five partials taking every fifth row of the rest.
            let partial = index < 200 ? index / 50 : 4 + index % 5
            partials[partial].add(record)
        }
        var merged = BoundedQuery(plan: plan, fastPath: false)
        for index in [7, 2, 4, 0, 8, 3, 6, 1, 5] { merged.merge(partials[index]) }
        let actual = merged.finish().rows
        let expected = reference.finish().rows
        #expect(actual.count == expected.count)
        for (mine, theirs) in zip(actual, expected) { #expect(Self.same(mine, theirs), "\(mine) vs \(theirs)") }
    }

    /// Partial queries merge into the same answer whichever half took which rows.
    @Test func partialQueriesMergeAcrossTheTwoPaths() throws {
        let sql = Self.queries[0]
        let plan = try QueryPlanner.plan(sql)
        var reference = BoundedQuery(plan: plan, fastPath: false)
        var left = BoundedQuery(plan: plan, fastPath: true)
        var right = BoundedQuery(plan: plan, fastPath: false)
        for (index, record) in records().enumerated() {
            reference.add(record)
            if index % 2 == 0 { left.add(record) } else { right.add(record) }
        }
        left.merge(right)
        let merged = left.finish()
        let expected = reference.finish()
        #expect(merged.rows.count == expected.rows.count)
        for (mine, theirs) in zip(Self.canonical(merged.rows), Self.canonical(expected.rows)) {
            #expect(Self.same(mine, theirs))
        }
        #expect(left.statistics.rowsIn == reference.statistics.rowsIn)
    }

    /// Records the fast path takes every one of: keys NULL in some and missing in others, integer
    /// and fractional numbers, one row in seven late by up to 6 s (before its key's newest session),
    /// and, per key, rows a few seconds apart: many sessions each.
    static let typedRecords: [SQLRecord] = (0..<3_000).map { index in
        let ts = 1_767_225_600_000 + Int64(index) * 400 - (index % 7 == 0 ? Int64(index % 5) * 1_500 : 0)
        let user = index % 11 == 0 ? "" : index % 13 == 0 ? #""user":null,"# : #""user":"u\#(index * 7 % 17)","#
        let latency = index % 3 == 0 ? "\(index % 41)" : "\(Double(index % 37) * 0.25 + 0.125)"
        let bytes = index % 19 == 0 ? "null" : "\(index * 13 % 997)"
        let text =
            #"{"ts":\#(ts),\#(user)"path":"/p\#(index % 5)","latency_ms":\#(latency),"bytes":\#(bytes)}"#
        return SQLRecord(
            data: Array(text.utf8),
            arrivalMilliseconds: ts,
            position: SequenceNumber(sequence: UInt64(index), shard: ShardID(0))
        )
    }

    static let typedQueries = [
        "SELECT user, window_start, window_end, count(*) AS n, sum(bytes) AS b, min(latency_ms) AS lo, max(latency_ms) AS hi, avg(latency_ms) AS mean, count(bytes) AS c FROM logs GROUP BY SESSION(ts, INTERVAL '5' SECOND), user",
        "SELECT user, window_start, count(*) AS n, count(DISTINCT path) AS paths, approx_percentile(latency_ms, 0.5) AS p50, sum(latency_ms) AS s FROM logs GROUP BY SESSION(ts, INTERVAL '2' SECOND), user",
        "SELECT path, window_start, count(*) AS n, max(bytes) AS b FROM logs GROUP BY SESSION(ts, INTERVAL '30' SECOND), path HAVING count(*) > 1",
        "SELECT window_start, path, user, count(*) AS n, max(latency_ms) AS worst, sum(bytes) AS b, avg(bytes) AS mean, count(DISTINCT user) AS users, stddev(latency_ms) AS sd FROM logs GROUP BY HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' MINUTE), path, user",
        "SELECT window_start, count(*) AS n, min(latency_ms) AS best FROM logs GROUP BY HOP(ts, INTERVAL '20' SECOND, INTERVAL '20' SECOND)",
        "SELECT window_start, user, count(*) AS n, sum(latency_ms) AS s, min(bytes) AS b FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), user",
        "SELECT user, count(*) AS n, approx_count_distinct(path) AS paths, avg(latency_ms) AS mean FROM logs GROUP BY user",
        "SELECT count(*) AS n, sum(bytes) AS b, max(latency_ms) AS worst, count(DISTINCT user) AS users FROM logs",
    ]

    /// A bounded query whose rows all went through the fast path takes its results from the typed
    /// cells, merged across partial queries (contiguous stretches and interleaved rows, merged in a
    /// scrambled order, into a query with and one without a fast path of its own): they must be
    /// the row engine's.
    @Test(arguments: typedQueries) func typedResultsOfPartialQueriesAreTheRowEnginesAnswer(sql: String) throws {
        let plan = try QueryPlanner.plan(sql)
        var reference = BoundedQuery(plan: plan, fastPath: false)
        for record in Self.typedRecords { reference.add(record) }
        let expected = Self.canonical(reference.finish().rows)
        #expect(!expected.isEmpty)

        var single = BoundedQuery(plan: plan)
        for record in Self.typedRecords { single.add(record) }
        #expect(single.fastPathRowCount == Self.typedRecords.count, "\(sql)")
        Self.expectSame(Self.canonical(single.finish().rows), expected, sql)

        for ownFastPath in [false, true] {
            var partials = (0..<7).map { _ in BoundedQuery(plan: plan) }
            for (index, record) in Self.typedRecords.enumerated() {
                partials[index < 1_200 ? index / 400 : 3 + index % 4].add(record)
            }
            for partial in partials { #expect(partial.fastPathRowCount == partial.statistics.rowsIn) }
            var merged = BoundedQuery(plan: plan, fastPath: ownFastPath)
            for index in [5, 1, 6, 0, 3, 2, 4] { merged.merge(partials[index]) }
            #expect(merged.statistics.rowsIn == Self.typedRecords.count)
            Self.expectSame(Self.canonical(merged.finish().rows), expected, sql)
        }
    }

    /// One partial query's rows went through the row engine (its fast path off): the typed groups
    /// of the others join the row engine's state, sessions bridged across the two included.
    @Test(arguments: typedQueries) func typedGroupsJoinTheRowEnginesStateWhenItTookRows(sql: String) throws {
        let plan = try QueryPlanner.plan(sql)
        var reference = BoundedQuery(plan: plan, fastPath: false)
        for record in Self.typedRecords { reference.add(record) }
        var partials = [BoundedQuery(plan: plan), BoundedQuery(plan: plan, fastPath: false), BoundedQuery(plan: plan)]
        for (index, record) in Self.typedRecords.enumerated() { partials[index % 3].add(record) }
        var merged = BoundedQuery(plan: plan)
        for partial in partials { merged.merge(partial) }
        Self.expectSame(Self.canonical(merged.finish().rows), Self.canonical(reference.finish().rows), sql)
    }

    static func expectSame(_ actual: [[SQLValue]], _ expected: [[SQLValue]], _ sql: String) {
        #expect(actual.count == expected.count, "\(sql)")
        for (mine, theirs) in zip(actual, expected) {
            #expect(same(mine, theirs), "\(sql)\n  typed: \(mine)\n  rows:  \(theirs)")
        }
    }

    static func canonical(_ rows: [[SQLValue]]) -> [[SQLValue]] {
        rows.sorted { "\($0)" < "\($1)" }
    }

    /// Doubles to 1e-12 relative (sums may add in another order); everything else exactly.
    static func same(_ left: [SQLValue], _ right: [SQLValue]) -> Bool {
        guard left.count == right.count else { return false }
        for (a, b) in zip(left, right) {
            if case .double(let x) = a, case .double(let y) = b {
                if abs(x - y) > 1e-12 * max(1, abs(x), abs(y)) { return false }
            } else if a != b {
                return false
            }
        }
        return true
    }
}
