import Testing

@testable import StreamQShip

@Suite struct SyslogParserTests {
    private let syslog = clocked(.syslog, now: "2024-06-15T12:00:00Z")

    @Test func rfc3164FileLineWithoutPriority() {
        let line =
            "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"
        let (fields, failed) = parsedRecord(line, parser: clocked(.syslog, now: "2024-12-20T00:00:00Z"))
        #expect(!failed)
        #expect(fields["time"] as? String == "2024-12-10T06:55:46Z")
        #expect(fields["hostname"] as? String == "LabSZ")
        #expect(fields["appname"] as? String == "sshd")
        #expect(fields["procid"] as? String == "24200")
        #expect(
            fields["message"] as? String
                == "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"
        )
        #expect(fields["host"] as? String == "web-1")  // the shipping host, not the line's
        #expect(fields["facility"] == nil)
    }

    @Test func rfc3164WithPriorityAndOddTags() {
        let (fields, _) = parsedRecord("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick", parser: syslog)
        #expect(fields["facility"] as? String == "auth")
        #expect(fields["severity"] as? String == "crit")
        #expect(fields["time"] as? String == "2023-10-11T22:14:15Z")  // not four months ahead: last October
        #expect(fields["hostname"] as? String == "mymachine")
        #expect(fields["appname"] as? String == "su")
        #expect(fields["procid"] == nil)
        #expect(fields["message"] as? String == "'su root' failed for lonvick")

        let pam = parsedRecord(
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
            parser: syslog
        ).fields
        #expect(pam["appname"] as? String == "sshd(pam_unix)")
        #expect(pam["procid"] as? String == "19939")
        #expect(pam["time"] as? String == "2024-06-14T15:16:01Z")

        let padded = parsedRecord("<11>Jan  2 03:04:05 host kernel: [ 1.5] usb 1-1: reset", parser: syslog).fields
        #expect(padded["severity"] as? String == "err")
        #expect(padded["facility"] as? String == "user")
        #expect(padded["time"] as? String == "2024-01-02T03:04:05Z")
        #expect(padded["message"] as? String == "[ 1.5] usb 1-1: reset")

        let noHost = parsedRecord("<13>Feb  3 04:05:06 cron[12]: job done", parser: syslog).fields
        #expect(noHost["hostname"] == nil)
        #expect(noHost["appname"] as? String == "cron")

        let noTag = parsedRecord("Mar  1 00:00:00 box last message repeated 3 times", parser: syslog).fields
        #expect(noTag["hostname"] as? String == "box")
        #expect(noTag["appname"] == nil)
        #expect(noTag["message"] as? String == "last message repeated 3 times")

        let rsyslog = parsedRecord("2024-06-15T08:00:01.123456+02:00 box CRON[7]: (root) CMD (x)", parser: syslog)
        #expect(rsyslog.fields["time"] as? String == "2024-06-15T06:00:01.123456Z")
        #expect(rsyslog.fields["appname"] as? String == "CRON")
    }

    @Test(arguments: [
        ("2025-01-01T00:10:00Z", "Dec 31 23:59:59", "2024-12-31T23:59:59Z"),  // read just after New Year
        ("2025-01-15T00:00:00Z", "Dec 10 06:55:46", "2024-12-10T06:55:46Z"),
        ("2024-12-31T23:59:00Z", "Jan  1 00:00:30", "2025-01-01T00:00:30Z"),  // a clock slightly ahead
        ("2024-12-31T10:00:00Z", "Dec 31 09:59:00", "2024-12-31T09:59:00Z"),
        ("2024-06-15T12:00:00Z", "Jan  1 00:00:00", "2024-01-01T00:00:00Z"),
        ("2025-03-01T00:00:00Z", "Feb 29 12:00:00", "2024-02-29T12:00:00Z"),  // only 2024 has the day
        ("2024-06-15T12:00:00Z", "Jun 15 20:00:00", "2024-06-15T20:00:00Z"),  // hours ahead: a time zone
        ("2024-06-15T12:00:00Z", "Jun 17 12:00:00", "2023-06-17T12:00:00Z"),
    ])
    func rfc3164YearIsTheLatestNotAheadOfNow(now: String, stamp: String, expected: String) {
        let (fields, failed) = parsedRecord("\(stamp) host app: hi", parser: clocked(.syslog, now: now))
        #expect(!failed)
        #expect(fields["time"] as? String == expected)
    }

    @Test func rfc5424WithStructuredData() {
        let line =
            #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry..."#
        let (fields, failed) = parsedRecord(line, parser: syslog)
        #expect(!failed)
        #expect(fields["facility"] as? String == "local4")
        #expect(fields["severity"] as? String == "notice")
        #expect(fields["time"] as? String == "2003-10-11T22:14:15.003Z")
        #expect(fields["hostname"] as? String == "mymachine.example.com")
        #expect(fields["appname"] as? String == "evntslog")
        #expect(fields["procid"] == nil)
        #expect(fields["msgid"] as? String == "ID47")
        #expect(fields["message"] as? String == "An application event log entry...")
        let data = fields["structured_data"] as? [String: [String: String]]
        #expect(data?["exampleSDID@32473"] == ["iut": "3", "eventSource": "Application", "eventID": "1011"])
        #expect(data?["examplePriority@32473"] == ["class": "high"])
    }

    @Test func rfc5424EscapesNilValuesAndBOM() {
        let line =
            #"<14>1 2024-01-02T03:04:05.123456+01:00 - app 42 - [meta q="say \"hi\"" path="C:\\x\]y" odd="a\b" q="last"] "#
            + "\u{FEFF}body text"
        let (fields, failed) = parsedRecord(line, parser: syslog)
        #expect(!failed)
        #expect(fields["time"] as? String == "2024-01-02T02:04:05.123456Z")
        #expect(fields["hostname"] == nil)
        #expect(fields["procid"] as? String == "42")
        #expect(fields["msgid"] == nil)
        let meta = (fields["structured_data"] as? [String: [String: String]])?["meta"]
        #expect(meta == ["q": "last", "path": #"C:\x]y"#, "odd": #"a\b"#])
        #expect(fields["message"] as? String == "body text")

        let bare = parsedRecord("<14>1 - - - - - -", parser: syslog).fields
        #expect(bare["time"] as? String == "2024-06-15T12:00:00Z")  // no timestamp: the time of reading
        #expect(bare["structured_data"] == nil)
        #expect(bare["message"] as? String == "<14>1 - - - - - -")  // no MSG: the line
    }

    @Test(arguments: [
        "just some words",
        "",
        "<999>Oct 11 22:14:15 host su: x",
        "<34 Oct 11 22:14:15 host su: x",
        "Foo 11 22:14:15 host su: x",
        "Oct 11 22:14 host su: x",
        "Feb 30 22:14:15 host su: x",
        "<165>1 2003-10-11T22:14:15.003Z host",
        "<165>1 2003-10-11 host app - - - msg",
        #"<165>1 2003-10-11T22:14:15Z host app - - [id k="never closed] msg"#,
        "<165>1 2003-10-11T22:14:15Z host app - - [id k=v] msg",
        "<165>1 2003-10-11T22:14:15Z host app - - nodata msg",
    ])
    func malformedSyslogIsShippedWithAnError(line: String) {
        let (fields, failed) = parsedRecord(line, parser: syslog)
        #expect(failed)
        #expect(fields["message"] as? String == line)
        #expect((fields["_parse_error"] as? String)?.isEmpty == false)
        #expect(fields["time"] == nil)
        #expect(fields["offset"] as? Int == 7)
    }
}
