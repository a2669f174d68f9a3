import StreamQSampleData
import StreamQStorage
import Testing

@testable import StreamQSQL

/// Every function and operator over extreme and mistyped arguments either gives a value or a
/// row error: never a crash (a trap would end the whole test run). The calls are generated from
/// a fixed seed, so a failure repeats.
@Suite struct ExtremeInputTests {
    let record = SQLRecord(#"{"ts":1767225600000,"s":"abc/def","d":1e300,"i":9223372036854775807,"j":{"a":[1,"x"]}}"#)

    static let functions: [(String, Int)] = [
        ("lower", 1), ("upper", 1), ("length", 1), ("trim", 1), ("substr", 3), ("concat", 2), ("replace", 3),
        ("split_part", 3),
        ("strpos", 2), ("starts_with", 2), ("abs", 1), ("round", 2), ("floor", 1), ("ceil", 1), ("sqrt", 1), ("pow", 2),
        ("ln", 1),
        ("coalesce", 2), ("nullif", 2), ("greatest", 3), ("least", 2), ("date_trunc", 2), ("time_bucket", 2),
        ("to_timestamp", 1),
        ("epoch_ms", 1), ("extract", 2), ("json_value", 2), ("json_typeof", 1), ("date_part", 2),
        ("strftime", 2), ("strptime", 2), ("try_strptime", 2), ("make_timestamp", 6), ("make_timestamp", 1),
        ("epoch", 1), ("epoch_us", 1), ("date_diff", 3), ("date_sub", 3), ("date_add", 2), ("left", 2), ("right", 2),
        ("lpad", 3), ("rpad", 3), ("reverse", 1), ("contains", 2), ("ends_with", 2), ("md5", 1), ("hash", 2),
        ("sign", 1), ("mod", 2), ("log10", 1), ("log2", 1), ("exp", 1), ("trunc", 2), ("url_encode", 1),
        ("url_decode", 1), ("regexp_full_match", 2),
    ]
    static let arguments = [
        "0", "-1", "9223372036854775807", "-9223372036854775807", "1e308", "-1e308", "'x'", "''", "NULL", "ts", "s",
        "d", "i", "j",
        "INTERVAL '1' DAY", "'2026-01-01T00:00:00Z'", "'$.a[99999999999]'", "'hour'", "'nope'", "true",
        "CAST(ts AS TIMESTAMP)", "-0.0",
        "'%Y-%m-%d %H:%M:%S.%f %z'", "'2026-01-01 00:00:00.5 +0100'", "'%'", "'month'", "'%C3%'", "'ü'",
    ]
    static let operators = ["+", "-", "*", "/", "%", "||", "=", "<", "AND", "LIKE"]

    @Test func functionsAndOperatorsNeverTrapOnExtremeArguments() throws {
        var generator = SplitMix64(seed: 42)
        var evaluated = 0
        for _ in 0..<3000 {
            let (name, arity) = Self.functions[generator.next(below: Self.functions.count)]
            var expression =
                name + "("
                + (0..<arity).map { _ in Self.arguments[generator.next(below: Self.arguments.count)] }.joined(
                    separator: ", "
                ) + ")"
            if generator.next(below: 3) == 0 {
                expression +=
                    " " + Self.operators[generator.next(below: Self.operators.count)] + " "
                    + Self.arguments[generator.next(below: Self.arguments.count)]
            }
            do {
                _ = try ExpressionCompiler.compile(Parser.parseExpression(expression))(record)
                evaluated += 1
            } catch {
                #expect(error is EvaluationError || error is SQLError, "\(expression): \(error)")
            }
        }
        #expect(evaluated > 500, "most calls give a value")
    }
}

/// Mutated query texts are planned or refused with an SQLError (line and column), never a trap.
@Suite struct MalformedQueryTests {
    static let base = """
        SELECT window_start, status, count(*) FILTER (WHERE x > 1) AS n, approx_percentile(latency_ms, 0.9) p,
               first(CASE WHEN a IN (1, 2) THEN 'x' ELSE NULL END) c, sum(CAST(b AS BIGINT)::DOUBLE) d, max(a->>'k') e,
               max(tags[0]) t, min(regexp_extract(p, '(a)', 1)) r
        FROM s WATERMARK DELAY INTERVAL '5' SECOND WHERE path LIKE '/a%' AND NOT ok
        GROUP BY HOP(ts, INTERVAL '10 seconds', INTERVAL '1' MINUTE), status HAVING count(*) > 2
        EMIT CHANGES ON LATE UPDATE WITHIN INTERVAL '1' MINUTE ORDER BY n DESC NULLS FIRST LIMIT 10 INTO 'file:///tmp/x/{dt}'
        """
    /// The grouping shorthands and the aggregates that take constants or an ORDER BY.
    static let aggregateBase = """
        SELECT window_start, 2 AS two, lower(host) h, count_if(ok) c, median(x) m, quantile_disc(p, 0.25) q,
               string_agg(p, ', ' ORDER BY ts DESC NULLS FIRST) s, approx_top_k(p, 3) k, arg_max(p, x) a, mode(p) o
        FROM s GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), ALL HAVING bool_or(ok) ORDER BY 3, 1 DESC LIMIT 5
        """
    static let tokens = [
        "(", ")", ",", "'", "\"", "--", "/*", "*", "::", "->", "->>", "INTERVAL", "SELECT", "FROM", "GROUP BY",
        "TUMBLE(", "SESSION(", "0",
        "1e999", "-", "||", ".", "[", "]", "9223372036854775808", "€", "\\", ";", "'0.0000001 ms'", "[-1]", "HOP(",
        "NULLS", "{",
    ]

    @Test(arguments: [base, aggregateBase])
    func mutatedQueriesArePlannedOrRefusedWithAPosition(base: String) throws {
        _ = try QueryPlanner.plan(base)  // the unmutated query is valid
        var generator = SplitMix64(seed: 99)
        var planned = 0
        for _ in 0..<2000 {
            var text = Array(base)
            for _ in 0..<(1 + generator.next(below: 4)) {
                let position = generator.next(below: text.count)
                switch generator.next(below: 3) {
                case 0: text.insert(contentsOf: Self.tokens[generator.next(below: Self.tokens.count)], at: position)
                case 1: text.removeSubrange(position..<min(text.count, position + 1 + generator.next(below: 8)))
                default: text[position] = Self.tokens[generator.next(below: Self.tokens.count)].first ?? " "
                }
            }
            do {
                _ = try QueryPlanner.plan(String(text))
                planned += 1
            } catch {
                #expect(error.location.line >= 1 && !error.message.isEmpty)
            }
        }
        #expect(planned > 0 && planned < 2000)
    }
}

/// Mutated records (bytes changed, dropped, inserted) through a query reading many paths: each
/// record is either evaluated or counted as an error; the scanner never reads out of bounds.
@Suite struct MalformedRecordTests {
    @Test(arguments: [
        "SELECT status, count(*) AS n, max(path) AS p, min(tags[1].y[0]) AS y, sum(x) AS x, count(ok) AS ok FROM s GROUP BY status",
        "SELECT status, count(*) AS n, median(x) AS m, quantile_disc(path, 0.5) AS q, mode(host) AS o, string_agg(path, '|' ORDER BY x DESC) AS s, approx_top_k(tags[0], 2) AS k, count_if(ok) AS c, bool_and(ok) AS b FROM s GROUP BY ALL",
    ])
    func mutatedRecordsAreEvaluatedOrCountedNeverTrap(sql: String) throws {
        let valid = Array(
            #"{"ts":1767225600000,"host":"web-01","path":"/a\"b\\c\u00e9","status":200,"x":1.5e3,"tags":["x",{"y":[1,2]}],"n":null,"ok":true}"#
                .utf8
        )
        let alphabet = Array(#"{}[]",:\0123456789.eE+-tfnul a"#.utf8) + [0x01, 0x7F, 0xC3, 0xA9, 0xFF]
        var query = BoundedQuery(plan: try QueryPlanner.plan(sql))
        var generator = SplitMix64(seed: 7)
        let count = 5000
        for _ in 0..<count {
            var bytes = valid
            for _ in 0..<(1 + generator.next(below: 5)) {
                let position = generator.next(below: bytes.count)
                switch generator.next(below: 3) {
                case 0: bytes[position] = alphabet[generator.next(below: alphabet.count)]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[generator.next(below: alphabet.count)], at: position)
                }
            }
            query.add(SQLRecord(data: bytes))
        }
        let result = query.finish()
        #expect(query.statistics.rowsIn == count)
        let counted = result.rows.reduce(0) { total, row in
            if case .integer(let n) = row[1] { return total + Int(n) }
            return total
        }
        #expect(counted + query.statistics.errors == count, "every record is either in a group or an error")
        #expect(query.statistics.errors > 0 && counted > 0)
    }
}

extension SplitMix64 {
    fileprivate mutating func next(below bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }
}
