import StreamQStorage
import Testing

@testable import StreamQSQL

@Suite struct QueryTests {
    /// Five requests in two minutes (ts in epoch ms), one not JSON.
    let rows: [SQLRecord] = [
        #"{"ts":1767225600000,"status":200,"path":"/","latency_ms":10}"#,
        #"{"ts":1767225610000,"status":500,"path":"/api","latency_ms":30}"#,
        #"{"ts":1767225650000,"status":200,"path":"/api","latency_ms":20}"#,
        #"{"ts":1767225670000,"status":404,"path":"/","latency_ms":null}"#,
        #"{"ts":1767225680000,"status":200,"path":"/","latency_ms":40}"#,
        "not json",
    ].enumerated().map { index, text in
        SQLRecord(
            text,
            arrivalMilliseconds: Int64(index),
            position: SequenceNumber(sequence: UInt64(index), shard: ShardID(0))
        )
    }

    func run(_ sql: String) throws -> (ResultSet, BoundedQuery) {
        var query = BoundedQuery(plan: try QueryPlanner.plan(sql))
        for row in rows { query.add(row) }
        let result = query.finish()
        return (result, query)
    }

    @Test func filterAndProjection() throws {
        let (result, query) = try run(
            "SELECT path, latency_ms * 2 AS doubled FROM logs WHERE status = 200 ORDER BY doubled DESC"
        )
        #expect(result.columns == ["path", "doubled"])
        #expect(
            result.rows == [
                [.string("/"), .integer(80)], [.string("/api"), .integer(40)], [.string("/"), .integer(20)],
            ]
        )
        #expect(query.statistics.errors == 1, "the line that is not JSON is counted, not dropped silently")
        #expect(query.errors.first?.position?.sequence == 5)
    }

    @Test func tumblingWindowsWithAggregatesFilterAndHaving() throws {
        let (result, _) = try run(
            """
            SELECT window_start, count(*) AS n, count(*) FILTER (WHERE status >= 400) AS errors,
                   avg(latency_ms) AS mean, max(latency_ms) AS worst, count(latency_ms) AS measured
            FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE) ORDER BY window_start
            """
        )
        #expect(
            result.rows == [
                [.timestamp(1_767_225_600_000), .integer(3), .integer(1), .double(20), .integer(30), .integer(3)],
                [.timestamp(1_767_225_660_000), .integer(2), .integer(1), .double(40), .integer(40), .integer(1)],
            ]
        )
        let (having, _) = try run("SELECT status, count(*) AS n FROM logs GROUP BY status HAVING count(*) > 1")
        #expect(having.rows == [[.integer(200), .integer(3)]])
    }

    @Test func hopWindowsOverlap() throws {
        let (result, _) = try run(
            """
            SELECT window_start, window_end, count(*) FROM logs
            GROUP BY HOP(ts, INTERVAL '30' SECOND, INTERVAL '1' MINUTE) ORDER BY 1
            """
        )
        let counts = result.rows.map { row -> Int64 in if case .integer(let n) = row[2] { return n } else { return -1 }
        }
        #expect(counts.reduce(0, +) == 10, "each row lands in two windows")
        #expect(result.rows.first?[0] == .timestamp(1_767_225_570_000))
    }

    @Test func groupingByAliasDistinctAndGlobalAggregates() throws {
        let (byAlias, _) = try run(
            "SELECT CASE WHEN status >= 400 THEN 'error' ELSE 'ok' END AS class, count(*) FROM logs GROUP BY class ORDER BY class"
        )
        #expect(byAlias.rows == [[.string("error"), .integer(2)], [.string("ok"), .integer(3)]])
        let (global, _) = try run(
            "SELECT count(*), count(DISTINCT path), sum(latency_ms), min_by(path, latency_ms), stddev_samp(latency_ms) FROM logs"
        )
        #expect(global.rows.count == 1)
        #expect(global.rows[0][0] == .integer(5), "the line that is not JSON is an error row, not counted")
        #expect(global.rows[0][1] == .integer(2))
        #expect(global.rows[0][2] == .integer(100))
        #expect(global.rows[0][3] == .string("/"))
        let (none, _) = try run("SELECT count(*) FROM logs WHERE status = 999")
        #expect(none.rows == [[.integer(0)]])
        let (distinct, _) = try run("SELECT DISTINCT path FROM logs WHERE path IS NOT NULL ORDER BY path LIMIT 1")
        #expect(distinct.rows == [[.string("/")]])
    }

    @Test func planningErrorsNameTheProblem() {
        #expect(throws: SQLError.self) { try QueryPlanner.plan("SELECT path, count(*) FROM logs") }
        do {
            _ = try QueryPlanner.plan("SELECT path, count(*) FROM logs GROUP BY status")
        } catch {
            #expect(error.description == "line 1, column 8: path must appear in GROUP BY or inside an aggregate")
        }
        #expect(throws: SQLError.self) { try QueryPlanner.plan("SELECT count(*) FROM logs GROUP BY TUMBLE(ts, 5)") }
        #expect(throws: SQLError.self) {
            try QueryPlanner.plan(
                "SELECT count(*) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), HOP(ts, INTERVAL '1' SECOND, INTERVAL '2' SECOND)"
            )
        }
    }

    /// Thousands of windows and sessions are computed in stretches on several cores at the end of a
    /// bounded query: the same rows, in the same order, as on one.
    @Test(arguments: [
        "SELECT window_start, status, count(*) AS n FROM logs GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND), status",
        "SELECT window_start, status, count(*) AS n FROM logs GROUP BY SESSION(ts, INTERVAL '400' MILLISECOND), status",
    ])
    func windowResultsComputedInParallelMatchOneCore(sql: String) throws {
        var query = BoundedQuery(plan: try QueryPlanner.plan(sql))
        for index in 0..<3000 {
            let ts = 1_767_225_600_000 + Int64(index) * 700
            query.add(SQLRecord(#"{"ts":\#(ts),"status":\#([200, 404, 500][index % 3])}"#))
        }
        var serial = query
        let parallel = query.finish(parallelism: 3)
        #expect(parallel.rows.count > 2000)
        #expect(parallel == serial.finish(parallelism: 1))
    }
}
