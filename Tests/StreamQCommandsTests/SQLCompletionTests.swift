import Testing

@testable import StreamQCommands

/// Tab completion in `streamq sql`, as a function of the text around the cursor.
struct SQLCompletionTests {
    static let names = SQLCompletion.Names(
        functions: ["coalesce", "concat", "count", "lower", "starts_with"],
        streams: ["access", "audit-log", "events"],
        fields: [
            "access": ["ts", "host", "status", "user agent", "end"],
            "events": ["ts", "kind", "hostname"],
        ]
    )

    func complete(_ before: String, _ after: String = "") -> [String] {
        SQLCompletion.candidates(before: before, after: after, names: Self.names)
    }

    @Test func afterFROMOnlyStreamsAreOfferedQuotedWhenTheyAreNotPlainNames() {
        #expect(complete("SELECT count(*) FROM a") == ["\"audit-log\"", "access"])
        #expect(complete("select * from EV") == ["events"])
        #expect(complete("SELECT * FROM ") == ["\"audit-log\"", "access", "events"])
        #expect(complete("SELECT * FROM \"audit-") == ["log\""], "inside quotes: the rest of the name")
    }

    @Test func fieldsComeFromTheStreamsTheStatementReadsEvenAfterTheCursor() {
        #expect(complete("SELECT ho", " FROM access") == ["host", "hour"])
        #expect(complete("SELECT hos", " FROM events") == ["hostname"])
        #expect(complete("SELECT count(*) FROM access WHERE hos") == ["host"])
        #expect(complete("SELECT ho") == ["hour"], "no stream named yet: no fields")
        #expect(complete("SELECT ", " FROM access") == ["\"end\"", "\"user agent\"", "host", "status", "ts"])
        #expect(complete("SELECT a.s", " FROM access AS a") == ["status"])
    }

    @Test func functionsAndKeywordsFollowTheCaseOfWhatWasTyped() {
        #expect(complete("SELECT co", " FROM access") == ["coalesce", "concat", "count"])
        #expect(complete("SELECT CO", " FROM access") == ["COALESCE", "CONCAT", "COUNT"])
        #expect(complete("SELECT st", " FROM access") == ["starts_with", "status"])
        #expect(complete("SELECT status FROM access GR") == ["GROUP"])
        #expect(complete("SELECT status FROM access wh") == ["when", "where"])
        #expect(complete("sel") == ["select"])
    }

    @Test func earlierLinesOfAStatementCount() {
        #expect(complete("SELECT host,\n  count(*) AS n\nFROM access\nWHERE sta") == ["starts_with", "status"])
        #expect(complete("SELECT stat, count(*) AS n\nFROM access GROUP BY status ORDER BY stat") == ["status"])
    }

    @Test func nothingIsOfferedInsideStringsCommentsOrNumbers() {
        #expect(complete("SELECT * FROM access WHERE host = 'ho") == [])
        #expect(complete("SELECT * FROM access -- ho") == [])
        #expect(complete("SELECT * FROM access /* ho") == [])
        #expect(complete("SELECT 12") == [])
        #expect(complete("SELECT * FROM access -- a comment\nWHERE hos") == ["host"])
    }

    @Test func dotCommandsAndTheirArguments() {
        #expect(complete(".s") == ["schema", "streams"])
        #expect(complete(".schema e") == ["events"])
        #expect(complete(".explain SELECT hos", " FROM events") == ["hostname"])
        #expect(complete(".help x") == [])
    }

    @Test func theStreamsAStatementReadsAreTheKnownNamesAfterFROM() {
        let known = Self.names.streams
        #expect(SQLCompletion.streams(namedIn: "SELECT * FROM access", known: known) == ["access"])
        #expect(SQLCompletion.streams(namedIn: "select * from \"audit-log\" a", known: known) == ["audit-log"])
        #expect(SQLCompletion.streams(namedIn: "SELECT * FROM nowhere", known: known) == [])
        #expect(SQLCompletion.streams(namedIn: "SELECT 'FROM access'", known: known) == [])
    }
}
