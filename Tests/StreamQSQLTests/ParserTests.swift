import Testing

@testable import StreamQSQL

@Suite struct ParserTests {
    @Test func aWindowedQueryParsesIntoItsClauses() throws {
        let statement = try Parser.parseSelect(
            """
            -- requests and errors per minute
            SELECT window_start, status, count(*) AS requests,
                   count(*) FILTER (WHERE status >= 500) errors, avg(latency_ms)
            FROM access AS a WATERMARK DELAY INTERVAL '10' SECOND
            WHERE method = 'GET' AND path LIKE '/api/%'
            GROUP BY TUMBLE(ts, INTERVAL '1 minute'), status
            HAVING count(*) > 10
            EMIT FINAL ON LATE UPDATE WITHIN '30 seconds'
            ORDER BY requests DESC NULLS LAST, status
            LIMIT 20
            INTO 'file:///tmp/out';
            """
        )
        #expect(statement.items.count == 5)
        #expect(statement.items[2].alias == "requests")
        #expect(statement.items[3].alias == "errors")
        #expect(statement.source.stream == "access")
        #expect(statement.source.alias == "a")
        #expect(statement.source.watermarkDelay == IntervalLiteral(milliseconds: 10_000))
        #expect(statement.groupBy.count == 2)
        guard case .call(let window, _) = statement.groupBy[0] else {
            Issue.record("TUMBLE is a call")
            return
        }
        #expect(window.name == "tumble")
        guard case .literal(.interval(let size), _) = window.arguments.last else {
            Issue.record("interval")
            return
        }
        #expect(size == IntervalLiteral(milliseconds: 60_000))
        guard case .expression(.call(let errors, _)) = statement.items[3].kind else {
            Issue.record("a call")
            return
        }
        #expect(errors.star && errors.filter != nil)
        #expect(statement.late == .updateWithin(IntervalLiteral(milliseconds: 30_000)))
        #expect(statement.orderBy.map(\.descending) == [true, false])
        #expect(statement.orderBy[0].nullsFirst == false)
        #expect(statement.limit == 20)
        #expect(statement.into == "file:///tmp/out")
    }

    @Test func precedenceFollowsSQL() throws {
        let parsed = try Parser.parseExpression("a OR b AND NOT c = 1 + 2 * 3")
        guard
            case .binary(
                .or,
                _,
                .binary(
                    .and,
                    _,
                    .unary(.not, .binary(.equal, _, .binary(.add, _, .binary(.multiply, _, _, _), _), _), _),
                    _
                ),
                _
            ) = parsed
        else {
            Issue.record("unexpected tree \(parsed)")
            return
        }
    }

    @Test func fieldsPathsAndJSONOperators() throws {
        #expect(
            try Parser.parseExpression("client.ip")
                == .field([.key("client"), .key("ip")], SourceLocation(line: 1, column: 1, offset: 0))
        )
        guard case .field(let path, _) = try Parser.parseExpression("tags[0].name['x-id']") else {
            Issue.record("a path")
            return
        }
        #expect(path == [.key("tags"), .index(0), .key("name"), .key("x-id")])
        guard case .jsonAccess(_, let key, let asText, _) = try Parser.parseExpression("payload ->> 'user'") else {
            Issue.record("json")
            return
        }
        #expect(asText)
        #expect(key == .literal(.string("user"), SourceLocation(line: 1, column: 13, offset: 12)))
        guard case .field([.key("_arrival")], _) = try Parser.parseExpression("ROWTIME") else {
            Issue.record("rowtime")
            return
        }
        guard case .cast(_, .bigint, false, _) = try Parser.parseExpression("status::int") else {
            Issue.record("cast")
            return
        }
        guard case .cast(_, .double, true, _) = try Parser.parseExpression("TRY_CAST(x AS DOUBLE)") else {
            Issue.record("try_cast")
            return
        }
    }

    @Test func predicatesAndCase() throws {
        guard case .between(_, _, _, true, _) = try Parser.parseExpression("x NOT BETWEEN 1 AND 5") else {
            Issue.record("between")
            return
        }
        guard case .inList(_, let values, false, _) = try Parser.parseExpression("status IN (200, 201, 204)") else {
            Issue.record("in")
            return
        }
        #expect(values.count == 3)
        guard case .like(_, _, true, true, _) = try Parser.parseExpression("path NOT ILIKE '%.JS'") else {
            Issue.record("ilike")
            return
        }
        guard case .isNull(_, true, _) = try Parser.parseExpression("user IS NOT NULL") else {
            Issue.record("is not null")
            return
        }
        guard
            case .caseWhen(nil, let branches, .some, _) = try Parser.parseExpression(
                "CASE WHEN status >= 500 THEN 'error' WHEN status >= 400 THEN 'client' ELSE 'ok' END"
            )
        else {
            Issue.record("case")
            return
        }
        #expect(branches.count == 2)
        #expect(try Parser.parseExpression("-9223372036854775807 - 1") != Parser.parseExpression("1"))
    }

    @Test func literalsCommentsAndQuoting() throws {
        #expect(
            try Parser.parseExpression("'it''s'")
                == .literal(.string("it's"), SourceLocation(line: 1, column: 1, offset: 0))
        )
        #expect(
            try Parser.parseExpression("/* a */ 1.5e2")
                == .literal(.double(150), SourceLocation(line: 1, column: 9, offset: 8))
        )
        #expect(
            try Parser.parseExpression("\"select\"")
                == .field([.key("select")], SourceLocation(line: 1, column: 1, offset: 0))
        )
        #expect(
            try Parser.parseExpression("INTERVAL '5' SECOND")
                == .literal(
                    .interval(IntervalLiteral(milliseconds: 5000)),
                    SourceLocation(line: 1, column: 1, offset: 0)
                )
        )
        #expect(
            try Parser.parseExpression("INTERVAL '1.5 hours'")
                == .literal(
                    .interval(IntervalLiteral(milliseconds: 5_400_000)),
                    SourceLocation(line: 1, column: 1, offset: 0)
                )
        )
        let statement = try Parser.parseSelect("select distinct * from logs emit changes")
        #expect(statement.distinct)
        #expect(statement.items[0].kind == .all)
        #expect(statement.emit == .changes)
    }

    @Test(arguments: [
        ("SELECT FROM logs", "line 1, column 8: expected an expression, found 'FROM'"),
        ("SELECT a FROM", "line 1, column 14: expected a stream name after FROM, found the end of the query"),
        (
            "SELECT a\nFROM logs\nWHERE status = ",
            "line 3, column 16: expected an expression, found the end of the query"
        ),
        ("SELECT a FROM logs WHERE x IN (1, 2", "line 1, column 36: expected ')', found the end of the query"),
        ("SELECT 'open FROM logs", "line 1, column 8: unterminated string"),
        ("SELECT a FROM logs LIMIT ten", "line 1, column 26: expected a row count after LIMIT, found 'ten'"),
        ("SELECT a FROM logs EMIT SOON", "line 1, column 25: expected FINAL or CHANGES after EMIT, found 'SOON'"),
        (
            "SELECT CAST(a AS money) FROM logs",
            "line 1, column 18: expected a type (BOOLEAN, BIGINT, DOUBLE, VARCHAR, TIMESTAMP, INTERVAL, JSON), found 'money'"
        ),
        (
            "SELECT a FROM logs WATERMARK DELAY INTERVAL '59223372036854775808' SECOND",
            "line 1, column 45: interval '59223372036854775808' is out of range (at most 100 years)"
        ),
        (
            "SELECT a FROM logs WATERMARK DELAY '5'",
            "line 1, column 36: interval '5' needs a unit (MILLISECOND, SECOND, MINUTE, HOUR, DAY)"
        ),
        ("SELECT 1 FROM logs extra words", "line 1, column 26: expected the end of the query, found 'words'"),
        ("SELECT a # b FROM logs", "line 1, column 10: unexpected character '#'"),
    ])
    func errorsSayWhereAndWhatWasExpected(query: String, message: String) {
        #expect(throws: SQLError.self) { try Parser.parseSelect(query) }
        do {
            _ = try Parser.parseSelect(query)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func renderedErrorsPointAtTheColumn() {
        let query = "SELECT a,\n       FROM logs"
        do {
            _ = try Parser.parseSelect(query)
            Issue.record("should fail")
        } catch {
            #expect(
                error.rendered(in: query)
                    == "line 2, column 8: expected an expression, found 'FROM'\n         FROM logs\n         ^"
            )
        }
    }
}
