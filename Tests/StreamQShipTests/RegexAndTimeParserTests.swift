import Testing

@testable import StreamQShip

@Suite struct RegexAndTimeParserTests {
    @Test func regexNamedGroupsBecomeStringFields() throws {
        let parser = try LineParser(
            named: #"regex:^(?<level>[A-Z]+) \[(?<thread>[^\]]+)\] (?<host>\S+)(?: took (?<ms>\d+)ms)? (?<message>.*)$"#
        )
        let (fields, failed) = parsedRecord("WARN [main-1] db-2 took 310ms slow query", parser: parser)
        #expect(!failed)
        #expect(fields["level"] as? String == "WARN")
        #expect(fields["thread"] as? String == "main-1")
        #expect(fields["_host"] as? String == "db-2")  // not the shipping host
        #expect(fields["host"] as? String == "web-1")
        #expect(fields["ms"] as? String == "310")
        #expect(fields["message"] as? String == "slow query")

        let without = parsedRecord("INFO [main-1] db-2 connected", parser: parser).fields
        #expect(without["ms"] == nil)  // the optional group took no part
        #expect(without["message"] as? String == "connected")

        let line = "not the expected shape"
        let miss = parsedRecord(line, parser: parser)
        #expect(miss.failed)
        #expect(miss.fields["message"] as? String == line)
        #expect(miss.fields["_parse_error"] as? String == "the regex does not match")
    }

    @Test func badParserNamesAndPatternsAreClearErrors() {
        #expect(throws: LineParserError.self) { try LineParser(named: "xml") }
        do {
            _ = try LineParser(named: "regex:(?<open>abc")
            Issue.record("an unclosed group was accepted")
        } catch {
            #expect(error.description.contains("regex '(?<open>abc' is not a valid pattern"))
        }
        do {
            _ = try LineParser(named: #"regex:^\d+ (\w+)$"#)
            Issue.record("a pattern without named groups was accepted")
        } catch {
            #expect(error.description.contains("has no named group"))
        }
    }

    private func timed(_ parser: LineParser, field: String, format: String) throws -> LineParser {
        var parser = parser
        parser.eventTime = EventTimeRule(field: field, format: try TimeFormat(format))
        parser.now = { 1_718_452_800 }  // 2024-06-15T12:00:00Z
        return parser
    }

    @Test(arguments: [
        (#"{"ts":1700000000123,"msg":"x"}"#, "epoch_ms", "2023-11-14T22:13:20.123Z"),
        (#"{"ts":"1700000000","msg":"x"}"#, "epoch", "2023-11-14T22:13:20Z"),
        (#"{"ts":1700000000.5,"msg":"x"}"#, "epoch", "2023-11-14T22:13:20.5Z"),
        (#"{"ts":"2024-05-01T12:00:00.123+02:00"}"#, "rfc3339", "2024-05-01T10:00:00.123Z"),
        (#"{"ts":"2024-05-01 12:00:00Z"}"#, "rfc3339", "2024-05-01T12:00:00Z"),
        (#"{"ts":"22\/Apr\/2009:18:52:51 +1200"}"#, "%d/%b/%Y:%H:%M:%S %z", "2009-04-22T06:52:51Z"),
        (#"{"ts":"2024-01-02 03:04:05,678"}"#, "%Y-%m-%d %H:%M:%S,%f", "2024-01-02T03:04:05.678Z"),
        (#"{"ts":"Tue, 02 January 2024 03:04:05 PM GMT"}"#, "%a, %d %B %Y %I:%M:%S %p %Z", "2024-01-02T15:04:05Z"),
        (#"{"ts":"Dec  9 08:00:00"}"#, "%b %e %H:%M:%S", "2023-12-09T08:00:00Z"),
        (#"{"ts":"2024.060 23:59"}"#, "%Y.%j %R", "2024-02-29T23:59:00Z"),
        (#"{"ts":"06/15/24T01:02:03"}"#, "%DT%T", "2024-06-15T01:02:03Z"),
        (#"{"ts":"1700000000"}"#, "%s", "2023-11-14T22:13:20Z"),
    ])
    func timeFieldIsNormalisedToRFC3339UTC(line: String, format: String, expected: String) throws {
        let (fields, failed) = parsedRecord(line, parser: try timed(.json, field: "ts", format: format))
        #expect(!failed)
        #expect(fields["time"] as? String == expected)
        #expect(fields["ts"] != nil)  // the source is kept as written
        #expect(fields["_time_error"] == nil)
    }

    @Test func timeFieldNamedTimeIsReplacedAndOthersMoveAside() throws {
        let slog = #"{"time":"2024-05-01T12:00:00.123+02:00","level":"INFO","msg":"done"}"#
        let own = parsedRecord(slog, parser: try timed(.json, field: "time", format: "rfc3339")).fields
        #expect(own["time"] as? String == "2024-05-01T10:00:00.123Z")
        #expect(own["_time"] == nil)

        let other = parsedRecord(
            "time=yesterday at=1700000000 msg=ok",
            parser: try timed(.logfmt, field: "at", format: "epoch")
        ).fields
        #expect(other["time"] as? String == "2023-11-14T22:13:20Z")
        #expect(other["_time"] as? String == "yesterday")

        let regex = try LineParser(named: #"regex:^(?<stamp>\S+ \S+) (?<message>.*)$"#)
        let fromRegex = parsedRecord(
            "2024-01-02 03:04:05.250 started",
            parser: try timed(regex, field: "stamp", format: "%F %T.%f")
        ).fields
        #expect(fromRegex["time"] as? String == "2024-01-02T03:04:05.250Z")
        #expect(fromRegex["message"] as? String == "started")

        let nginx = parsedRecord(
            #"1.2.3.4 - - [22/Apr/2009:18:52:51 +1200] "GET / HTTP/1.1" 200 5 "-" "curl" "1700000000""#,
            parser: try timed(try LineParser(named: "regex:\"(?<sent>\\d+)\"$"), field: "sent", format: "epoch")
        ).fields
        #expect(nginx["time"] as? String == "2023-11-14T22:13:20Z")
    }

    @Test(arguments: [
        (#"{"msg":"no time here"}"#, "no time field 'ts'"),
        (#"{"ts":"yesterday"}"#, "time field 'ts' does not match rfc3339"),
        (#"{"ts":"2024-02-30T00:00:00Z"}"#, "time field 'ts' does not match rfc3339"),
        (#"{"ts":"2024-01-02T03:04:05Z trailing"}"#, "time field 'ts' does not match rfc3339"),
        (#"{"ts":null}"#, "time field 'ts' is neither a string nor a number"),
        (#"{"ts":{"s":1}}"#, "time field 'ts' is neither a string nor a number"),
    ])
    func missingOrUnreadableTimeIsMarkedAndCounted(line: String, error: String) throws {
        let (fields, failed) = parsedRecord(line, parser: try timed(.json, field: "ts", format: "rfc3339"))
        #expect(failed)
        #expect(fields["time"] == nil)
        #expect((fields["_time_error"] as? String)?.hasPrefix(error) == true, "\(fields["_time_error"] ?? "")")
        #expect(fields["_parse_error"] == nil)
        #expect(fields["message"] as? String == line)
    }

    @Test func unreadableFieldNamedTimeStaysAsUnderscoreTime() throws {
        let (fields, failed) = parsedRecord(
            #"{"time":"soon","n":1}"#,
            parser: try timed(.json, field: "time", format: "rfc3339")
        )
        #expect(failed)
        #expect(fields["_time"] as? String == "soon")
        #expect(fields["time"] == nil)
        #expect(fields["_time_error"] != nil)
    }

    @Test(arguments: [
        ("%Y-%m-%d %q", "has an unknown code %q"),
        ("%H:%M:%S", "names no date"),
        ("%Y-%m-%d %I:%M", "needs %I and %p together"),
        ("%Y-%m-%d %", "ends with a lone %"),
    ])
    func badTimeFormatsAreRejected(format: String, problem: String) {
        do {
            _ = try TimeFormat(format)
            Issue.record("\(format) was accepted")
        } catch {
            #expect(error.description == "time format '\(format)' \(problem)" || error.description.contains(problem))
        }
    }

    @Test func civilDatesRoundTrip() {
        for days in stride(from: Int64(-800_000), through: 2_900_000, by: 997) {
            let (year, month, day) = EventTime.civil(fromDays: days)
            #expect(EventTime.daysSinceEpoch(year: year, month: month, day: day) == days)
        }
        #expect(EventTime(seconds: 0)?.rfc3339 == "1970-01-01T00:00:00Z")
        #expect(
            EventTime(seconds: -1, nanoseconds: 5_000_000, fractionDigits: 3)?.rfc3339 == "1969-12-31T23:59:59.005Z"
        )
        #expect(EventTime(year: 2000, month: 2, day: 29, hour: 0, minute: 0, second: 0) != nil)
        #expect(EventTime(year: 1900, month: 2, day: 29, hour: 0, minute: 0, second: 0) == nil)
    }
}
