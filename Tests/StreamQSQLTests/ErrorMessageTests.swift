import StreamQStorage
import Testing

@testable import StreamQSQL

/// Error text names only what the user wrote (fields as written, SQL function and clause names),
/// never an internal name, type or Swift description: the exact text of representative errors.
@Suite struct ErrorMessageTests {
    func planningError(_ sql: String) -> String? {
        do {
            _ = try QueryPlanner.plan(sql)
            return nil
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        (
            "SELECT path, count(*) FROM logs GROUP BY status",
            "line 1, column 8: path must appear in GROUP BY or inside an aggregate"
        ),
        (
            "SELECT client.ip, count(*) FROM s GROUP BY host",
            "line 1, column 8: client.ip must appear in GROUP BY or inside an aggregate"
        ),
        (
            "SELECT host FROM s GROUP BY host ORDER BY latency",
            "line 1, column 43: latency must appear in GROUP BY or inside an aggregate"
        ),
        (
            "SELECT host, count(*) FROM s GROUP BY 3",
            "line 1, column 39: GROUP BY 3 is out of range: the select list has 2 columns"
        ),
        (
            "SELECT host, count(*) FROM s GROUP BY 2",
            "line 1, column 39: GROUP BY 2 refers to count(*), which is an aggregate"
        ),
        (
            "SELECT host, count(*) FROM s GROUP BY host ORDER BY 0",
            "line 1, column 53: ORDER BY 0 is out of range: the select list has 2 columns"
        ),
        ("SELECT median(latency, 0.5) FROM s", "line 1, column 8: median() takes 1 argument, got 2"),
        (
            "SELECT string_agg(a, ',', 'x') FROM s",
            "line 1, column 8: string_agg() takes 1 or 2 arguments, got 3"
        ),
        (
            "SELECT quantile_cont(latency, 2) FROM s",
            "line 1, column 31: quantile_cont needs a constant fraction between 0 and 1"
        ),
        (
            "SELECT approx_top_k(host, 0) FROM s",
            "line 1, column 27: approx_top_k needs a constant k between 1 and 10000"
        ),
        (
            "SELECT max(host ORDER BY ts) FROM s",
            "line 1, column 8: ORDER BY inside an aggregate is supported by string_agg only"
        ),
        (
            "SELECT lower(host ORDER BY ts) FROM s",
            "line 1, column 8: ORDER BY inside a call is supported by string_agg only"
        ),
        ("SELECT arg_max(DISTINCT a, b) FROM s", "line 1, column 8: arg_max() does not take DISTINCT"),
        ("SELECT sum(*) FROM s", "line 1, column 8: only count accepts *"),
        ("SELECT medain(x) FROM s", "line 1, column 8: unknown function medain(); did you mean median()?"),
        (
            "SELECT x FROM s WHERE count_if(ok) > 1",
            "line 1, column 23: aggregate count_if() is only allowed in the SELECT list or HAVING of a grouped query"
        ),
        ("SELECT * , count(*) FROM s", "line 1, column 8: SELECT * cannot be grouped; name the columns"),
        ("SELECT a FROM s GROUP BY ALL, ALL", "line 1, column 31: GROUP BY names ALL twice"),
        ("SELECT x FROM s WHERE y ~ 1", "line 1, column 25: unexpected character '~'"),
        ("SELECT [0.5, x] FROM s", "line 1, column 14: a list holds constants only"),
        (
            "SELECT [0.5] FROM s",
            "line 1, column 8: a list is only allowed as the fractions of quantile_cont or quantile_disc"
        ),
        (
            "SELECT quantile_disc(x, [0.5, 1.5]) FROM s",
            "line 1, column 25: quantile_disc needs a constant fraction between 0 and 1"
        ),
        (
            "SELECT CAST(x AS BLOB) FROM s",
            "line 1, column 18: expected a type (BOOLEAN, BIGINT, DOUBLE, VARCHAR, TIMESTAMP, INTERVAL, JSON), found 'BLOB'"
        ),
        (
            "SELECT tumble(ts, INTERVAL '1' SECOND) FROM s",
            "line 1, column 8: window function tumble() belongs in GROUP BY"
        ),
    ])
    func planningErrorsNameWhatWasWritten(sql: String, message: String) {
        #expect(planningError(sql) == message)
    }

    @Test func rowErrorsNameTheFunctionAndTheValue() throws {
        var query = BoundedQuery(plan: try QueryPlanner.plan("SELECT median(v) AS m, count(*) AS n FROM s"))
        query.add(SQLRecord(#"{"v":"ten"}"#))
        query.add(SQLRecord("{"))
        #expect(query.finish().rows == [[.null, .integer(0)]])
        #expect(
            query.errors.map(\.message) == [
                "line 1, column 8: median needs numbers, got ten",
                #"line 1, column 43: the record is not valid JSON (invalid JSON at byte 1: expected '"' but the text ended); use _raw"#,
            ]
        )
    }

    @Test func anUnreadableCheckpointSaysSoWithoutSwiftDetail() throws {
        let plan = try QueryPlanner.plan("SELECT count(*) FROM s")
        do {
            _ = try FollowState(decoding: Array("{}".utf8), plan: plan, idleTimeout: 1, origin: "/q/checkpoint.json")
            Issue.record("an empty object is not a saved state")
        } catch {
            #expect(
                "\(error)"
                    == "line 1, column 22: the saved state in /q/checkpoint.json is unreadable; remove it to start over"
            )
        }
    }
}
