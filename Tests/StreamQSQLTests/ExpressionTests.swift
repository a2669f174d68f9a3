import StreamQStorage
import Testing

@testable import StreamQSQL

@Suite struct ExpressionTests {
    let record = SQLRecord(
        data: Array(
            #"{"status":503,"path":"/api/v1/items","latency_ms":12.5,"ok":false,"user":null,"client":{"ip":"10.0.0.1"},"tags":["a","b"],"ts":"2026-01-01T00:00:01.500Z"}"#
                .utf8
        ),
        arrivalMilliseconds: 1_767_225_600_000,
        partitionKey: "u1",
        position: SequenceNumber(sequence: 42, shard: ShardID(1))
    )

    func evaluate(_ text: String) throws -> SQLValue {
        try ExpressionCompiler.compile(Parser.parseExpression(text))(record)
    }

    @Test(arguments: [
        ("status", SQLValue.integer(503)),
        ("client.ip", .string("10.0.0.1")),
        ("tags[1]", .string("b")),
        ("missing", .null),
        ("user", .null),
        ("latency_ms * 2", .double(25)),
        ("status + 1", .integer(504)),
        ("7 / 2", .double(3.5)),
        ("7 % 0", .null),
        ("1 / 0", .null),
        ("status >= 500 AND path LIKE '/api/%'", .boolean(true)),
        ("user = 1 OR true", .boolean(true)),
        ("user = 1 AND true", .null),
        ("user = 1 AND false", .boolean(false)),
        ("status IN (200, 503)", .boolean(true)),
        ("status NOT IN (200, NULL)", .null),
        ("status BETWEEN 500 AND 599", .boolean(true)),
        ("user IS NULL", .boolean(true)),
        ("path ILIKE '%ITEMS'", .boolean(true)),
        ("'a_c' LIKE 'a\\_c' OR 'abc' LIKE 'a_c'", .boolean(true)),
        ("CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END", .string("server")),
        ("CASE status WHEN 200 THEN 'ok' ELSE 'other' END", .string("other")),
        ("CAST('12' AS BIGINT) + 1", .integer(13)),
        ("TRY_CAST('x' AS BIGINT)", .null),
        ("2.5::BIGINT", .integer(3)),
        ("CAST(ts AS TIMESTAMP)", .timestamp(1_767_225_601_500)),
        ("_arrival", .timestamp(1_767_225_600_000)),
        ("ROWTIME + INTERVAL '1' SECOND", .timestamp(1_767_225_601_000)),
        ("_partition_key || '/' || _shard", .string("u1/shardId-000000000001")),
        ("client ->> 'ip'", .string("10.0.0.1")),
        ("tags -> 0", .string("a")),
        ("lower('AbC') || upper('x')", .string("abcX")),
        ("length(path)", .integer(13)),
        ("substr(path, 2, 3)", .string("api")),
        ("split_part(path, '/', 3)", .string("v1")),
        ("strpos(path, 'v1')", .integer(6)),
        ("coalesce(user, missing, 'anon')", .string("anon")),
        ("greatest(1, 5.5, 3)", .double(5.5)),
        ("nullif(status, 503)", .null),
        ("round(2.345, 2)", .double(2.35)),
        ("abs(-3)", .integer(3)),
        ("epoch_ms(ts)", .integer(1_767_225_601_500)),
        ("epoch_ms(1767225600)", .integer(1_767_225_600_000)),
        ("json_typeof(client)", .string("object")),
    ])
    func evaluates(expression: String, expected: SQLValue) throws {
        #expect(try evaluate(expression) == expected, "\(expression)")
    }

    @Test(arguments: [
        ("json_value(client, '$.ip')", SQLValue.string("10.0.0.1")),
        ("json_value(tags, '$[1]')", .string("b")),
        ("json_value('{\"a\": {\"b c\": [1, 2.5]}}', '$.a[''b c''][1]')", .double(2.5)),
        ("json_value(client, '$.missing')", .null),
        ("date_trunc('hour', ts)", .timestamp(1_767_225_600_000)),
        ("date_trunc('month', '2026-03-17T10:00:00Z')", .timestamp(1_772_323_200_000)),
        ("date_trunc('week', '2026-01-01T10:00:00Z')", .timestamp(1_767_571_200_000 - 7 * 86_400_000)),
        ("extract(year FROM ts) * 100 + extract(month FROM ts)", .integer(202_601)),
        ("EXTRACT(millisecond FROM ts)", .integer(1500)),
        ("date_part('dow', ts)", .integer(4)),
        ("time_bucket(INTERVAL '15 minutes', '2026-01-01T00:29:59Z')", .timestamp(1_767_225_600_000 + 900_000)),
        ("regexp_like(path, '^/api/v[0-9]+/')", .boolean(true)),
        ("regexp_extract(path, '/v([0-9]+)/', 1)", .string("1")),
        ("regexp_extract(path, 'nomatch')", .string("")),
        ("regexp_replace(path, '/', '.', 'g')", .string(".api.v1.items")),
        ("regexp_replace(path, '/', '.')", .string(".api/v1/items")),
        ("now() > ts", .boolean(true)),
        ("replace(path, 'items', 'things')", .string("/api/v1/things")),
        ("trim('  x  ')", .string("x")),
        ("least(3, 1, NULL)", .integer(1)),
    ])
    func evaluatesTimeRegexAndJSONFunctions(expression: String, expected: SQLValue) throws {
        #expect(try evaluate(expression) == expected, "\(expression)")
    }

    @Test func rowErrorsAreReportedNotCrashes() throws {
        #expect(throws: EvaluationError.self) { try evaluate("9223372036854775807 + 1") }
        #expect(throws: EvaluationError.self) { try evaluate("CAST('x' AS BIGINT)") }
        #expect(throws: EvaluationError.self) { try evaluate("path + 1") }
        #expect(throws: EvaluationError.self) { try evaluate("to_timestamp(1e300)") }
        #expect(try evaluate("round(2.5, -9223372036854775807)") == .double(0))
        #expect(try evaluate("round(2.5, 1e308)") == .double(2.5))
        #expect(
            try evaluate("substr(path, 9223372036854775807, 10)") == .string(""),
            "no overflow at the end of the range"
        )
        let notJSON = SQLRecord("plain text line")
        let compiled = try ExpressionCompiler.compile(Parser.parseExpression("status"))
        #expect(throws: EvaluationError.self) { try compiled(notJSON) }
        #expect(try ExpressionCompiler.compile(Parser.parseExpression("_raw"))(notJSON) == .string("plain text line"))
        // Invalid UTF-8 inside a JSON string is an error for the row, never silently repaired.
        let badText = SQLRecord(data: Array(#"{"status":"#.utf8) + [0x22, 0xFF, 0xFE, 0x22] + Array("}".utf8))
        let extracted = try QueryPlanner.plan("SELECT status FROM s")
        var query = BoundedQuery(plan: extracted)
        query.add(badText)
        #expect(query.statistics.errors == 1)
        #expect(query.errors.first?.message.contains("UTF-8") == true)
    }

    @Test func unknownFunctionsAreCaughtBeforeAnyRowWithASuggestion() {
        do {
            _ = try ExpressionCompiler.compile(Parser.parseExpression("lowr(path)"))
            Issue.record("should fail")
        } catch {
            #expect(error.description == "line 1, column 1: unknown function lowr(); did you mean lower()?")
        }
        #expect(throws: SQLError.self) { try ExpressionCompiler.compile(Parser.parseExpression("substr(path)")) }
        #expect(throws: SQLError.self) { try ExpressionCompiler.compile(Parser.parseExpression("count(*) + 1")) }
    }

    @Test func eventTimesParseInEveryAcceptedForm() {
        #expect(EventTime.milliseconds(fromText: "2026-01-01T00:00:00Z") == 1_767_225_600_000)
        #expect(EventTime.milliseconds(fromText: "2026-01-01 01:00:00+01:00") == 1_767_225_600_000)
        #expect(EventTime.milliseconds(fromText: "2026-01-01T00:00:00.25Z") == 1_767_225_600_250)
        #expect(EventTime.milliseconds(from: .integer(1_767_225_600)) == 1_767_225_600_000)
        #expect(EventTime.milliseconds(from: .integer(1_767_225_600_000)) == 1_767_225_600_000)
        #expect(EventTime.milliseconds(from: .integer(1_767_225_600_000_000)) == 1_767_225_600_000)
        #expect(EventTime.milliseconds(fromText: "yesterday") == nil)
        #expect(EventTime.milliseconds(fromText: "2026-13-01") == nil)
        #expect(EventTime.iso8601(1_767_225_600_250) == "2026-01-01T00:00:00.250Z")
        #expect(EventTime.iso8601(-1) == "1969-12-31T23:59:59.999Z")
    }
}
