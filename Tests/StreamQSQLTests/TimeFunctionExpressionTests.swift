import StreamQStorage
import Testing

@testable import StreamQSQL

/// `strptime`, `strftime`, `make_timestamp`, `epoch`, `date_diff`, `date_sub` and `date_add`, with
/// the values DuckDB gives (its TIMESTAMP shown to the millisecond, as streamq keeps it).
@Suite struct TimeFunctionExpressionTests {
    let record = SQLRecord(
        #"{"ts":"2026-01-04T07:05:03.012Z","line":"Nov 30 09:12:01","none":null,"clf":"04/Jan/2026:07:05:03 +0200","word":"ü"}"#
    )

    func evaluate(_ text: String) throws -> SQLValue {
        try ExpressionCompiler.compile(Parser.parseExpression(text))(record)
    }

    /// Milliseconds since the epoch of a UTC date and time.
    func at(
        _ year: Int,
        _ month: Int,
        _ day: Int,
        _ hour: Int = 0,
        _ minute: Int = 0,
        _ second: Int = 0,
        ms: Int = 0
    )
        -> SQLValue
    {
        let days = Int64(EventTime.daysFromCivil(year: year, month: month, day: day))
        return .timestamp((days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1000 + Int64(ms))
    }

    @Test func strftimeWritesDuckDBsCodes() throws {
        let cases: [(String, String)] = [
            ("%Y-%m-%d %H:%M:%S.%g", "2026-01-04 07:05:03.012"),
            ("%a %A %w %u", "Sun Sunday 0 7"),
            ("%b %h %B %-m %m", "Jan Jan January 1 01"),
            ("%-d %d %j %-j", "4 04 004 4"),
            ("%y %-y %G", "26 26 2026"),
            ("%I %-I %p %-H %-M %-S", "07 7 AM 7 5 3"),
            ("%f %n", "012000 012000000"),
            ("%z %Z", "+00 UTC"),
            ("%U %W %V", "01 00 01"),
            ("%c|%x|%X|%T", "2026-01-04 07:05:03|2026-01-04|07:05:03|07:05:03"),
            ("100%% é", "100% é"),
        ]
        for (format, expected) in cases {
            #expect(try evaluate("strftime(ts, '\(format)')") == .string(expected), "\(format)")
        }
        #expect(
            try evaluate("strftime('1999-12-31T23:59:59Z', '%G|%V|%U|%W|%j|%I %p')")
                == .string("1999|52|52|52|365|11 PM")
        )
        #expect(try evaluate("strftime('2021-01-01T12:00:00Z', '%G|%V|%U|%W|%I %p')") == .string("2020|53|00|00|12 PM"))
        #expect(try evaluate("strftime('2024-12-30T00:00:00Z', '%G|%V|%U|%W|%I %p')") == .string("2025|01|52|53|12 AM"))
        #expect(try evaluate("strftime(1767225600, '%Y')") == .string("2026"), "epoch seconds are times")
        #expect(try evaluate("strftime('%d/%m/%Y', ts)") == .string("04/01/2026"), "DuckDB's other argument order")
        #expect(try evaluate("strftime('2026-01-04', '%d/%m/%Y')") == .string("04/01/2026"))
        #expect(try evaluate("strftime(none, '%Y')") == .null)
        #expect(try evaluate("strftime(ts, none)") == .null)
    }

    @Test(
        arguments: [
            ("strptime('02/03/1992', '%d/%m/%Y')", (1992, 3, 2, 0, 0, 0, 0)),
            (
                "strptime('Monday, 2 March 1992 - 08:32:45 PM', '%A, %-d %B %Y - %I:%M:%S %p')",
                (1992, 3, 2, 20, 32, 45, 0)
            ),
            ("strptime(line, '%b %d %H:%M:%S')", (1900, 11, 30, 9, 12, 1, 0)),
            ("strptime('nov  3 9:2:1', '%b %d %H:%M:%S')", (1900, 11, 3, 9, 2, 1, 0)),
            ("strptime('2026-01-04T07:05:03.123456Z', '%Y-%m-%dT%H:%M:%S.%fZ')", (2026, 1, 4, 7, 5, 3, 123)),
            ("strptime('2026-01-04T07:05:03.12Z', '%Y-%m-%dT%H:%M:%S.%fZ')", (2026, 1, 4, 7, 5, 3, 120)),
            ("strptime('2026-01-04 07:05:03.5', '%Y-%m-%d %H:%M:%S.%g')", (2026, 1, 4, 7, 5, 3, 500)),
            ("strptime('2026-01-04 07:05:03.123456789', '%Y-%m-%d %H:%M:%S.%n')", (2026, 1, 4, 7, 5, 3, 123)),
            ("strptime(clf, '%d/%b/%Y:%H:%M:%S %z')", (2026, 1, 4, 5, 5, 3, 0)),
            ("strptime('2026-01-04 07:05:03 -02:30', '%Y-%m-%d %H:%M:%S %z')", (2026, 1, 4, 9, 35, 3, 0)),
            ("strptime('2026-01-04 +02', '%Y-%m-%d %z')", (2026, 1, 3, 22, 0, 0, 0)),
            ("strptime('2026-01-04 utc', '%Y-%m-%d %Z')", (2026, 1, 4, 0, 0, 0, 0)),
            ("strptime('  2026-01-04   ', '%Y-%m-%d')", (2026, 1, 4, 0, 0, 0, 0)),
            ("strptime('20260104', '%Y%m%d')", (2026, 1, 4, 0, 0, 0, 0)),
            ("strptime('69-01-04', '%y-%m-%d')", (1969, 1, 4, 0, 0, 0, 0)),
            ("strptime('68-01-04', '%y-%m-%d')", (2068, 1, 4, 0, 0, 0, 0)),
            ("strptime('12 AM', '%I %p')", (1900, 1, 1, 0, 0, 0, 0)),
            ("strptime('12 pm', '%I %p')", (1900, 1, 1, 12, 0, 0, 0)),
            ("strptime('2024 366', '%Y %j')", (2024, 12, 31, 0, 0, 0, 0)),
            ("strptime('2026 01 7', '%G %V %u')", (2026, 1, 4, 0, 0, 0, 0)),
            ("strptime('2026 01', '%Y %U')", (2026, 1, 4, 0, 0, 0, 0)),
            ("strptime('2026-01-04 07:05:01', '%c')", (2026, 1, 4, 7, 5, 1, 0)),
            ("strptime('a', 'a')", (1900, 1, 1, 0, 0, 0, 0)),
            ("strptime('ü 100%', 'ü 100%%')", (1900, 1, 1, 0, 0, 0, 0)),
            ("try_strptime('2026', '%Y')", (2026, 1, 1, 0, 0, 0, 0)),
            ("make_timestamp(2026, 1, 2, 3, 4, 5.5)", (2026, 1, 2, 3, 4, 5, 500)),
            ("make_timestamp(2026, 2, 3, 23, 4, 60)", (2026, 2, 3, 23, 5, 0, 0)),
            ("make_timestamp(2026, 1, 1, 0, 0, 0.0015)", (2026, 1, 1, 0, 0, 0, 1)),
            ("make_timestamp(1767225601500999)", (2026, 1, 1, 0, 0, 1, 500)),
            ("make_timestamp(-1)", (1969, 12, 31, 23, 59, 59, 999)),
            ("date_add(ts, INTERVAL '90 minutes')", (2026, 1, 4, 8, 35, 3, 12)),
            ("date_add('2026-01-01', INTERVAL '-1 day')", (2025, 12, 31, 0, 0, 0, 0)),
        ] as [(String, (Int, Int, Int, Int, Int, Int, Int))]
    )
    func timesAreBuilt(expression: String, expected: (Int, Int, Int, Int, Int, Int, Int)) throws {
        let (year, month, day, hour, minute, second, ms) = expected
        #expect(try evaluate(expression) == at(year, month, day, hour, minute, second, ms: ms), "\(expression)")
    }

    @Test(arguments: [
        "strptime('2026-01-04T07:05:03.1234567Z', '%Y-%m-%dT%H:%M:%S.%fZ')",
        "strptime('2026-01-04 07:05:03 Z', '%Y-%m-%d %H:%M:%S %z')",
        "strptime('2026-01-04 07:05:03 CET', '%Y-%m-%d %H:%M:%S %Z')",
        "strptime('2026-01-04 junk', '%Y-%m-%d')",
        "strptime('2026-02-30', '%Y-%m-%d')",
        "strptime('2026-01-04 24:00:00', '%Y-%m-%d %H:%M:%S')",
        "strptime('2026-01-04 23:59:60', '%Y-%m-%d %H:%M:%S')",
        "strptime('13 PM', '%I %p')",
        "strptime('2026-01-04 13 pm', '%Y-%m-%d %H %p')",
        "strptime('2026 366', '%Y %j')",
        "strptime('Nov3', '%b %d')",
        "strptime('November 3', '%b %d')",
        "strptime('2026-01-04', ' %Y-%m-%d')",
        "strptime('-0044-03-15', '%Y-%m-%d')",
        "strptime('', '%Y')",
        "strptime('2026- 1-04', '%Y-%m-%d')",
        "strptime('Jan 04 2026', '%b%d%Y')",
        "strptime('12: 00', '%H:%M')",
    ])
    func strptimeRefusesWhatDuckDBRefuses(expression: String) throws {
        #expect(throws: EvaluationError.self, "\(expression)") { try evaluate(expression) }
        let orNull = expression.replacing("strptime(", with: "try_strptime(", maxReplacements: 1)
        #expect(try evaluate(orNull) == .null, "\(orNull)")
    }

    @Test func strptimeNullsAndErrorsNameWhatWasWritten() throws {
        #expect(try evaluate("strptime(none, '%Y')") == .null)
        #expect(try evaluate("strptime('2026', none)") == .null)
        #expect(try evaluate("try_strptime(42, '%Y')") == .null)
        do {
            _ = try evaluate("strptime('x', '%Y')")
            Issue.record("should fail")
        } catch let error as EvaluationError {
            #expect(
                error.message
                    == "strptime could not parse 'x' with the format '%Y': expected a year for %Y at character 1"
            )
        }
        do {
            _ = try evaluate("strptime(none, '%Y') IS NULL AND strptime(word, '%q') IS NULL")
            Issue.record("should be refused")
        } catch let error as SQLError {
            #expect(error.message == "strptime: the format '%q' is not usable: unknown code %q")
            #expect(error.location.column == 49, "the format argument's column")
        }
        for (expression, reason) in [
            ("strftime(ts, '')", "the format is empty"),
            ("strftime(ts, 'abc%')", "it ends with a lone '%' (write %% for a percent sign)"),
            ("try_strptime(ts, '%e')", "unknown code %e"),
            ("strftime(ts, '%-a')", "unknown code %-a"),
        ] {
            #expect(throws: SQLError.self, "\(expression)") {
                try ExpressionCompiler.compile(Parser.parseExpression(expression))
            }
            do {
                _ = try ExpressionCompiler.compile(Parser.parseExpression(expression))
            } catch {
                #expect(error.message.hasSuffix(reason), "\(expression): \(error.message)")
            }
        }
        #expect(throws: EvaluationError.self) { try evaluate("strftime('yesterday', '%Y')") }
        #expect(throws: EvaluationError.self) { try evaluate("strftime(ts, word || '%q')") }
        #expect(throws: SQLError.self) { try ExpressionCompiler.compile(Parser.parseExpression("strftime(ts)")) }
        do {
            _ = try ExpressionCompiler.compile(Parser.parseExpression("make_timestamp(2026, 1)"))
            Issue.record("should be refused")
        } catch {
            #expect(error.message.hasPrefix("make_timestamp() takes 1 argument (microseconds) or 6"))
        }
    }

    @Test(arguments: [
        ("epoch('2026-01-01T00:00:01.5Z')", SQLValue.double(1_767_225_601.5)),
        ("epoch('1969-12-31T23:59:59.5Z')", .double(-0.5)),
        ("epoch(INTERVAL '90 seconds')", .double(90)),
        ("epoch(none)", .null),
        ("epoch_us('2026-01-01T00:00:01.5Z')", .integer(1_767_225_601_500_000)),
        ("epoch_us('1969-12-31T23:59:59.5Z')", .integer(-500_000)),
        ("epoch_us(none)", .null),
        ("date_diff('day', '2026-01-01 23:59', '2026-01-02 00:01')", .integer(1)),
        ("date_diff('hour', '2026-01-02 00:01', '2026-01-01 23:59')", .integer(-1)),
        ("date_diff('hour', '1969-12-31 23:30', '1970-01-01 00:30')", .integer(1)),
        ("date_diff('second', '2026-01-01 23:59:59.9', '2026-01-02 00:00:00.1')", .integer(1)),
        ("date_diff('millisecond', '2026-01-01 23:59:59.9', '2026-01-02 00:00:00.1')", .integer(200)),
        ("date_diff('microsecond', '2026-01-01 23:59:59.9', '2026-01-02 00:00:00.1')", .integer(200_000)),
        ("date_diff('month', '2026-01-31', '2026-02-01')", .integer(1)),
        ("date_diff('year', '2025-12-31', '2026-01-01')", .integer(1)),
        ("date_diff('quarter', '2025-12-31', '2026-01-01')", .integer(1)),
        ("date_diff('week', '2026-01-03', '2026-01-05')", .integer(0)),
        ("date_diff('week', '2026-01-01 23:00', '2026-01-08 01:00')", .integer(1)),
        ("date_diff('week', '2026-01-08 01:00', '2026-01-02 23:00')", .integer(0)),
        ("date_diff('century', '1999-01-08', '2000-01-02')", .integer(1)),
        ("date_diff('millennium', '1999-01-08', '2000-01-02')", .integer(1)),
        ("date_diff('DAYS', '2019-01-01', '2020-01-01')", .integer(365)),
        ("date_diff('day', none, ts)", .null),
        ("date_sub('day', '2026-01-01 23:59', '2026-01-02 00:01')", .integer(0)),
        ("date_sub('hour', '2026-01-02 00:01', '2026-01-01 22:59')", .integer(-1)),
        ("date_sub('second', '2026-01-01 23:59:59.9', '2026-01-02 00:00:00.1')", .integer(0)),
        ("date_sub('month', '2026-01-31', '2026-02-28')", .integer(1)),
        ("date_sub('month', '2026-01-31 10:00', '2026-03-31 09:00')", .integer(1)),
        ("date_sub('month', '2026-03-31 09:00', '2026-01-31 10:00')", .integer(-1)),
        ("date_sub('month', '2026-01-28', '2026-02-28')", .integer(1)),
        ("date_sub('year', '2024-02-29', '2025-02-28')", .integer(1)),
        ("date_sub('quarter', '2026-01-15', '2026-07-14')", .integer(1)),
        ("date_sub('week', '2026-01-01', '2026-01-07 23:00')", .integer(0)),
        ("date_sub('decade', '2000-01-08 01:00', '2010-01-08 01:00')", .integer(1)),
        ("date_sub('day', ts, none)", .null),
        ("date_add(none, INTERVAL '1' DAY)", .null),
        ("make_timestamp(2026, 1, 1, 0, 0, none)", .null),
    ])
    func epochsAndDifferences(expression: String, expected: SQLValue) throws {
        #expect(try evaluate(expression) == expected, "\(expression)")
    }

    @Test func badTimeArgumentsNameTheFunction() {
        let cases = [
            ("make_timestamp(2026, 13, 2, 3, 4, 5.5)", "make_timestamp: 2026-13-2 is not a date"),
            ("make_timestamp(2026, 2, 30, 3, 4, 5.5)", "make_timestamp: 2026-2-30 is not a date"),
            ("make_timestamp(2026, 2, 3, 24, 4, 5.5)", "make_timestamp: 24:4:5.5 is not a time of day"),
            ("make_timestamp(2026, 2, 3, 23, 4, -1)", "make_timestamp: 23:4:-1.0 is not a time of day"),
            ("make_timestamp(2026.5, 1, 1, 0, 0, 0)", "make_timestamp needs a whole year"),
            ("make_timestamp(1.5)", "make_timestamp needs whole microseconds"),
            ("date_diff('bogus', ts, ts)", "date_diff: unknown date part 'bogus'"),
            ("date_sub('dow', ts, ts)", "date_sub: unknown date part 'dow'"),
            ("date_diff('day', 'yesterday', ts)", "date_diff needs a time, got yesterday"),
            ("date_add(ts, 5)", "date_add needs an INTERVAL second, got 5"),
            ("epoch('x')", "epoch needs a time, got x"),
            ("epoch_us(9223372036854775807)", "epoch_us needs a time"),
            (
                "date_diff('microsecond', make_timestamp(-9223372036854775807), make_timestamp(9223372036854775807))",
                "date_diff: the difference is out of range"
            ),
        ]
        for (expression, message) in cases {
            do {
                _ = try evaluate(expression)
                Issue.record("\(expression) should fail")
            } catch let error as EvaluationError {
                #expect(error.message.hasPrefix(message), "\(expression): \(error.message)")
            } catch {
                Issue.record("\(expression): \(error)")
            }
        }
    }
}
