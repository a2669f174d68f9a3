import StreamQStorage
import Testing

@testable import StreamQSQL

/// `GROUP BY 1`, `ORDER BY 2` and `GROUP BY ALL`, alone and beside TUMBLE, HOP and SESSION, in
/// bounded and follow mode: each gives the rows of the query that names its keys.
@Suite struct GroupingShorthandTests {
    static let lines = (0..<12).map { index in
        #"{"ts":\#(1_767_225_600_000 + Int64(index) * 700),"host":"\#(["a", "b", "ç"][index % 3])","status":\#(index % 4 == 0 ? "null" : String(200 + index % 2))}"#
    }

    func run(_ sql: String) throws -> [[SQLValue]] {
        var query = BoundedQuery(plan: try QueryPlanner.plan(sql))
        for line in Self.lines { query.add(SQLRecord(line)) }
        return query.finish().rows
    }

    @Test(arguments: [
        (
            "SELECT host, status, count(*) AS n FROM s GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 NULLS FIRST",
            "SELECT host, status, count(*) AS n FROM s GROUP BY host, status ORDER BY n DESC, host, status NULLS FIRST"
        ),
        (
            "SELECT host AS h, count(*) AS n FROM s GROUP BY 1 HAVING n > 3 ORDER BY n + 0, count(*) DESC, h",
            "SELECT host AS h, count(*) AS n FROM s GROUP BY host HAVING count(*) > 3 ORDER BY count(*), h"
        ),
        (
            "SELECT host, status, count(*) AS n FROM s GROUP BY ALL ORDER BY ALL DESC NULLS FIRST",
            "SELECT host, status, count(*) AS n FROM s GROUP BY host, status ORDER BY host DESC NULLS FIRST, status DESC NULLS FIRST, n DESC NULLS FIRST"
        ),
        (
            "SELECT host, status, count(*) AS n FROM s GROUP BY ALL ORDER BY 1, 2",
            "SELECT host, status, count(*) AS n FROM s GROUP BY host, status ORDER BY host, status"
        ),
        (
            "SELECT upper(host) AS h, count(*) + 1 AS n FROM s GROUP BY ALL ORDER BY 1",
            "SELECT upper(host) AS h, count(*) + 1 AS n FROM s GROUP BY upper(host) ORDER BY h"
        ),
        (
            "SELECT window_start, window_end, host, count(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '2' SECOND), ALL ORDER BY 1, 3",
            "SELECT window_start, window_end, host, count(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '2' SECOND), host ORDER BY window_start, host"
        ),
        (
            "SELECT window_start, host, count(*) AS n FROM s GROUP BY ALL, HOP(ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND) ORDER BY 1, 2",
            "SELECT window_start, host, count(*) AS n FROM s GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND), host ORDER BY window_start, host"
        ),
        (
            "SELECT window_start, window_end, host, count(*) AS n FROM s GROUP BY SESSION(ts, INTERVAL '1' SECOND), 1, 3 ORDER BY 3, 1",
            "SELECT window_start, window_end, host, count(*) AS n FROM s GROUP BY SESSION(ts, INTERVAL '1' SECOND), host ORDER BY host, window_start"
        ),
    ])
    func shorthandGivesTheRowsOfTheNamedKeys(shorthand: String, named: String) throws {
        let rows = try run(shorthand)
        #expect(!rows.isEmpty)
        #expect(rows == (try run(named)))
    }

    @Test func explainShowsTheResolvedKeys() throws {
        let plan = try QueryPlanner.plan(
            "SELECT window_start, lower(host) AS h, count(*) FROM s GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), ALL"
        )
        #expect(plan.explanation.contains("group by    lower(host)\n"))
        let holding = try QueryPlanner.plan("SELECT median(x), string_agg(h ORDER BY x DESC) FROM s GROUP BY ALL")
        #expect(
            holding.explanation.contains(
                "state       one accumulator set per group (not rows); median, string_agg also hold the values of their groups"
            )
        )
        #expect(holding.explanation.contains("string_agg(…) [exact: holds every value of the group]"))
    }

    @Test func followModeFiresWindowsGroupedByAll() throws {
        let plan = try QueryPlanner.plan(
            "SELECT window_start, host, count(*) AS n FROM s WATERMARK DELAY INTERVAL '0' SECOND GROUP BY ALL, TUMBLE(ts, INTERVAL '2' SECOND)"
        )
        var query = ContinuousQuery(plan: plan)
        query.register(shard: ShardID(0), now: 0)
        for line in Self.lines.prefix(4) { query.add(SQLRecord(line), shard: ShardID(0), now: 1) }
        #expect(
            query.advance(now: 1).rows == [
                [.timestamp(1_767_225_600_000), .string("a"), .integer(1)],
                [.timestamp(1_767_225_600_000), .string("b"), .integer(1)],
                [.timestamp(1_767_225_600_000), .string("ç"), .integer(1)],
            ]
        )
    }
}
