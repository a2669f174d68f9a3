import StreamQStorage
import Testing

@testable import StreamQSQL

/// The string and numeric functions log queries reach for, with the values DuckDB gives.
@Suite struct TextAndNumberFunctionExpressionTests {
    let record = SQLRecord(#"{"path":"/api/v1/items","user":"naïve","none":null,"n":-7,"x":2.789}"#)

    func evaluate(_ text: String) throws -> SQLValue {
        try ExpressionCompiler.compile(Parser.parseExpression(text))(record)
    }

    @Test(arguments: [
        ("left('héllo', 2)", SQLValue.string("hé")),
        ("left('héllo', -2)", .string("hél")),
        ("left('héllo', 0)", .string("")),
        ("left('héllo', 10)", .string("héllo")),
        ("left(user, 3)", .string("naï")),
        ("left(none, 3)", .null),
        ("left('abc', NULL)", .null),
        ("left('abc', -9223372036854775807)", .string("")),
        ("right('héllo', 2)", .string("lo")),
        ("right('héllo', -2)", .string("llo")),
        ("right('héllo', -10)", .string("")),
        ("right('', 3)", .string("")),
        ("lpad('ab', 5, 'xy')", .string("xyxab")),
        ("lpad('abcdef', 3, 'x')", .string("abc")),
        ("lpad('ab', -1, 'x')", .string("")),
        ("lpad('ab', 2, '')", .string("ab")),
        ("lpad('é', 3, 'ü')", .string("üüé")),
        ("lpad(NULL, 3, 'x')", .null),
        ("lpad('a', 3, NULL)", .null),
        ("rpad('ab', 5, 'xy')", .string("abxyx")),
        ("rpad('abcdef', 3, 'x')", .string("abc")),
        ("rpad(user, 7, '·')", .string("naïve··")),
        ("reverse('héllo')", .string("olléh")),
        ("reverse('')", .string("")),
        ("reverse(none)", .null),
        ("contains(path, 'v1')", .boolean(true)),
        ("contains(path, '')", .boolean(true)),
        ("contains(user, 'ï')", .boolean(true)),
        ("contains('', 'a')", .boolean(false)),
        ("contains(none, 'a')", .null),
        ("ends_with(path, 'items')", .boolean(true)),
        ("ends_with(path, '')", .boolean(true)),
        ("ends_with('a', 'ba')", .boolean(false)),
        ("ends_with(user, 'ïve')", .boolean(true)),
        ("md5('')", .string("d41d8cd98f00b204e9800998ecf8427e")),
        ("md5('héllo')", .string("be50e8478cf24ff3595bc7307fb91b50")),
        ("md5(none)", .null),
        ("url_encode('a b/c?d=é&x~_.-')", .string("a%20b%2Fc%3Fd%3D%C3%A9%26x~_.-")),
        ("url_encode('')", .string("")),
        ("url_decode('a%20b+c%2Fé%zz')", .string("a b+c/é%zz")),
        ("url_decode('%41%4a%4A')", .string("AJJ")),
        ("url_decode('%')", .string("%")),
        ("url_decode(url_encode(user))", .string("naïve")),
        ("url_decode(none)", .null),
        ("regexp_full_match(path, '/api/.*')", .boolean(true)),
        ("regexp_full_match(path, 'api')", .boolean(false)),
        ("regexp_full_match('ABC', 'a.c', 'i')", .boolean(true)),
        ("regexp_full_match('ABC', 'a.c', 'c')", .boolean(false)),
        ("regexp_full_match('', '')", .boolean(true)),
        ("regexp_full_match(user, 'na.ve')", .boolean(true)),
        ("regexp_full_match(none, 'a')", .null),
        // A combining accent is a code point of its own in every length and position, as in DuckDB.
        ("length('e\u{301}x')", .integer(3)),
        ("length('🇫🇷')", .integer(2)),
        ("strpos('e\u{301}xy', 'x')", .integer(3)),
        ("substr('e\u{301}xy', 2, 2)", .string("\u{301}x")),
        ("left('e\u{301}x', 1)", .string("e")),
        ("right('e\u{301}x', 2)", .string("\u{301}x")),
        ("reverse('e\u{301}x')", .string("xe\u{301}")),
    ])
    func textFunctions(expression: String, expected: SQLValue) throws {
        #expect(try evaluate(expression) == expected, "\(expression)")
    }

    @Test(arguments: [
        ("sign(-3)", SQLValue.integer(-1)),
        ("sign(0)", .integer(0)),
        ("sign(2.5)", .integer(1)),
        ("sign(-0.0)", .integer(0)),
        ("sign(-9223372036854775808)", .integer(-1)),
        ("sign(none)", .null),
        ("mod(7, -3)", .integer(1)),
        ("mod(-7, 3)", .integer(-1)),
        ("mod(n, 3)", .integer(-1)),
        ("mod(7.5, 2)", .double(1.5)),
        ("mod(-7.5, 2)", .double(-1.5)),
        ("mod(7, 0)", .null),
        ("mod(-9223372036854775807 - 1, -1)", .integer(0)),
        ("(-9223372036854775807 - 1) % -1", .integer(0)),
        ("-7 % 3", .integer(-1)),
        ("mod(none, 3)", .null),
        ("log10(100)", .double(2)),
        ("log2(8)", .double(3)),
        ("exp(0)", .double(1)),
        ("exp(-1000)", .double(0)),
        ("exp(none)", .null),
        ("trunc(2.7)", .double(2)),
        ("trunc(-2.7)", .double(-2)),
        ("trunc(5)", .integer(5)),
        ("trunc(x, 2)", .double(2.78)),
        ("trunc(-2.789, 1)", .double(-2.7)),
        ("trunc(1234, -2)", .integer(1200)),
        ("trunc(-1299, -2)", .integer(-1200)),
        ("trunc(1234, 10)", .integer(1234)),
        ("trunc(1234, -40)", .integer(0)),
        ("trunc(1234.5, -2)", .double(1200)),
        ("trunc(2.5, 400)", .double(2.5)),
        ("trunc(2.5, -400)", .double(0)),
        ("trunc(1e300, 2)", .double(1e300)),
        ("trunc(none)", .null),
    ])
    func numericFunctions(expression: String, expected: SQLValue) throws {
        #expect(try evaluate(expression) == expected, "\(expression)")
    }

    @Test func hashIsStableAndEqualValuesHashEqually() throws {
        let first = try evaluate("hash(path)")
        guard case .integer(let value) = first else {
            Issue.record("hash gives a BIGINT, got \(first)")
            return
        }
        #expect(value >= 0)
        #expect(try evaluate("hash('/api/v1/items')") == first)
        #expect(try evaluate("hash(path)") != evaluate("hash(user)"))
        #expect(try evaluate("hash(1)") == evaluate("hash(1.0)"), "equal numbers hash equally")
        #expect(try evaluate("hash(1)") != evaluate("hash('1')"))
        #expect(try evaluate("hash('ab', 'c')") != evaluate("hash('a', 'bc')"))
        #expect(try evaluate("hash(none)") == evaluate("hash(NULL)"), "NULL hashes, as in DuckDB")
        #expect(try evaluate("hash(none)") != .null)
        // Fixed across processes and runs: the same text always lands in the same sample.
        #expect(ValueHash.hash([.string("")]) == ValueHash.hash([.string("")]))
        #expect(ValueHash.hash([.string("a")]) == 5_552_388_491_461_961_075)
    }

    @Test func badArgumentsNameTheFunction() throws {
        let rowErrors = [
            ("left('abc', 1.5)", "left needs a whole count"),
            ("lpad('a', 3, '')", "lpad: the fill text is empty"),
            ("rpad('a', 9223372036854775807, 'x')", "rpad: length 9223372036854775807 is too long"),
            ("url_decode('%C3')", "url_decode: '%C3' does not decode to valid UTF-8"),
            ("sign('x')", "sign needs a number"),
            ("mod('a', 2)", "mod needs numbers"),
            ("log10(0)", "log10(0.0) is undefined"),
            ("log2(-1)", "log2(-1.0) is undefined"),
            ("trunc(2.5, 1.5)", "trunc needs a whole number of places"),
            ("trunc('x')", "trunc needs a number"),
            ("ln(0)", "ln(0.0) is undefined"),
            ("floor('x')", "floor needs a number"),
        ]
        for (expression, message) in rowErrors {
            do {
                _ = try evaluate(expression)
                Issue.record("\(expression) should fail")
            } catch let error as EvaluationError {
                #expect(error.message.hasPrefix(message), "\(expression): \(error.message)")
                #expect(error.location.column == 1)
            }
        }
        let planErrors = [
            ("regexp_full_match(path, 'a', 'x')", "regexp_full_match's options must be"),
            ("regexp_full_match(path, '(')", "regexp_full_match: invalid regular expression '('"),
            ("lpad('a', 2)", "lpad() takes 3 arguments, got 2"),
            ("reverse()", "reverse() takes 1 argument, got 0"),
            ("revrse(path)", "unknown function revrse(); did you mean reverse()?"),
        ]
        for (expression, message) in planErrors {
            do {
                _ = try ExpressionCompiler.compile(Parser.parseExpression(expression))
                Issue.record("\(expression) should be refused")
            } catch {
                #expect(error.message.hasPrefix(message), "\(expression): \(error.message)")
            }
        }
    }
}
