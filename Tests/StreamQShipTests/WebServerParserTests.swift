import Testing

@testable import StreamQShip

@Suite struct WebServerParserTests {
    @Test(arguments: [LineParser.nginx, LineParser.apache])
    func combinedAccessLine(parser: LineParser) {
        let line =
            #"proxy-435.dialup.xtra.co.nz - - [22/Apr/2009:18:52:51 +1200] "GET /images/photos/455.jpg HTTP/1.1" 200 986 "-" "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_4_11; en) AppleWebKit/525.13 (KHTML, like Gecko) Version/3.1 Safari/525.13" "-""#
        let (fields, failed) = parsedRecord(line, parser: parser)
        #expect(!failed)
        #expect(fields["client"] as? String == "proxy-435.dialup.xtra.co.nz")
        #expect(fields["ident"] == nil)
        #expect(fields["user"] == nil)
        #expect(fields["time"] as? String == "2009-04-22T06:52:51Z")
        #expect(fields["method"] as? String == "GET")
        #expect(fields["path"] as? String == "/images/photos/455.jpg")
        #expect(fields["protocol"] as? String == "HTTP/1.1")
        #expect(fields["status"] as? Int == 200)
        #expect(fields["bytes"] as? Int == 986)
        #expect(fields["referer"] == nil)
        #expect((fields["agent"] as? String)?.hasPrefix("Mozilla/5.0 (Macintosh;") == true)
        #expect(fields["message"] as? String == line)
        #expect(fields["host"] as? String == "web-1")
    }

    @Test func accessLineVariants() {
        let common = parsedRecord(
            #"10.0.0.7 - alice [09/Dec/2018:10:59:20 -0330] "POST /api/v1/items?id=3 HTTP/2.0" 201 -"#,
            parser: .nginx
        ).fields
        #expect(common["user"] as? String == "alice")
        #expect(common["time"] as? String == "2018-12-09T14:29:20Z")
        #expect(common["bytes"] as? Int == 0)  // CLF writes '-' for no bytes
        #expect(common["path"] as? String == "/api/v1/items?id=3")
        #expect(common["agent"] == nil)

        let empty = parsedRecord(
            #"1.1.1.1 - - [09/Dec/2018:10:59:20 +0100] "HEAD / HTTP/1.1" 200 8142 "" "curl/7.62.0""#,
            parser: .nginx
        ).fields
        #expect(empty["referer"] == nil)
        #expect(empty["agent"] as? String == "curl/7.62.0")

        let odd = parsedRecord(
            #"::1 - - [01/Jan/2024:00:00:00 +0000] "\x16\x03\x01\x00" 400 157 "http://a/?q=\"x\"" "-""#,
            parser: .apache
        ).fields
        #expect(odd["client"] as? String == "::1")
        #expect(odd["request"] as? String == #"\x16\x03\x01\x00"#)
        #expect(odd["method"] == nil)
        #expect(odd["status"] as? Int == 400)
        #expect(odd["referer"] as? String == #"http://a/?q="x""#)
        #expect(odd["agent"] == nil)

        let dash = parsedRecord(#"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "-" 408 0 "-" "-""#, parser: .nginx).fields
        #expect(dash["request"] == nil)
        #expect(dash["status"] as? Int == 408)
    }

    @Test func nginxErrorLines() {
        let line =
            #"2024/01/02 03:04:05 [error] 123#0: *5 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 1.2.3.4, server: example.com, request: "GET /x HTTP/1.1", host: "example.com", referrer: "http://example.com/""#
        let (fields, failed) = parsedRecord(line, parser: .nginx)
        #expect(!failed)
        #expect(fields["time"] as? String == "2024-01-02T03:04:05Z")
        #expect(fields["level"] as? String == "error")
        #expect(fields["pid"] as? Int == 123)
        #expect(fields["tid"] as? Int == 0)
        #expect(fields["connection"] as? Int == 5)
        #expect(
            fields["message"] as? String == #"open() "/usr/share/nginx/html/x" failed (2: No such file or directory)"#
        )
        #expect(fields["client"] as? String == "1.2.3.4")
        #expect(fields["server"] as? String == "example.com")
        #expect(fields["request"] as? String == "GET /x HTTP/1.1")
        #expect(fields["http_host"] as? String == "example.com")
        #expect(fields["referer"] as? String == "http://example.com/")
        #expect(fields["host"] as? String == "web-1")

        let notice = parsedRecord("2024/01/02 03:04:05 [notice] 1#1: signal process started", parser: .nginx).fields
        #expect(notice["level"] as? String == "notice")
        #expect(notice["connection"] == nil)
        #expect(notice["message"] as? String == "signal process started")
    }

    @Test func apacheErrorLines() {
        let modern = parsedRecord(
            "[Tue Jan 02 03:04:05.123456 2024] [core:error] [pid 123:tid 456] [client 1.2.3.4:5678] AH00128: File does not exist: /var/www/x",
            parser: .apache
        )
        #expect(!modern.failed)
        #expect(modern.fields["time"] as? String == "2024-01-02T03:04:05.123456Z")
        #expect(modern.fields["module"] as? String == "core")
        #expect(modern.fields["level"] as? String == "error")
        #expect(modern.fields["pid"] as? Int == 123)
        #expect(modern.fields["tid"] as? Int == 456)
        #expect(modern.fields["client"] as? String == "1.2.3.4")
        #expect(modern.fields["client_port"] as? Int == 5678)
        #expect(modern.fields["message"] as? String == "AH00128: File does not exist: /var/www/x")

        let old = parsedRecord(
            "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
            parser: .apache
        ).fields
        #expect(old["time"] as? String == "2005-12-04T04:47:44Z")
        #expect(old["module"] == nil)
        #expect(old["level"] as? String == "notice")
        #expect(old["message"] as? String == "workerEnv.init() ok /etc/httpd/conf/workers2.properties")

        let client = parsedRecord(
            "[Sun Dec 04 04:47:44 2005] [error] [client 10.0.0.9] [warn] Directory index forbidden",
            parser: .apache
        ).fields
        #expect(client["client"] as? String == "10.0.0.9")
        #expect(client["client_port"] == nil)
        #expect(client["message"] as? String == "[warn] Directory index forbidden")
    }

    @Test(arguments: [
        "",
        "just words",
        #"1.2.3.4 - - [22/Apr/2009:18:52:51] "GET / HTTP/1.1" 200 1"#,
        #"1.2.3.4 - - [31/Feb/2009:18:52:51 +0000] "GET / HTTP/1.1" 200 1"#,
        #"1.2.3.4 - - [22/Foo/2009:18:52:51 +0000] "GET / HTTP/1.1" 200 1"#,
        #"1.2.3.4 - - [22/Apr/2009:18:52:51 +0000] "GET / HTTP/1.1 200 1"#,
        #"1.2.3.4 - - [22/Apr/2009:18:52:51 +0000] "GET / HTTP/1.1" OK 1"#,
        #"1.2.3.4 - - [22/Apr/2009:18:52:51 +0000] "GET / HTTP/1.1" 200 1 "ref"#,
        "2024/01/02 03:04:05 error 1#1: no brackets",
        "2024/13/02 03:04:05 [error] 1#1: bad month",
        "[Tue Jan 02 03:04:05 2024 [error] unclosed",
        "[Tue Jan 02 03:04:05 2024]",
    ])
    func malformedWebServerLinesAreShippedWithAnError(line: String) {
        for parser in [LineParser.nginx, .apache] {
            let (fields, failed) = parsedRecord(line, parser: parser)
            #expect(failed)
            #expect(fields["message"] as? String == line)
            #expect((fields["_parse_error"] as? String)?.isEmpty == false)
        }
    }

    /// The access-log scanner gives the same fields whether they are gathered in an array or
    /// written straight into a record.
    @Test(arguments: [
        #"1.2.3.4 - alice [22/Apr/2009:18:52:51 +1200] "GET /a\"b HTTP/1.1" 200 986 "http://r/" "curl/8""#,
        #"10.0.0.7 - - [09/Dec/2018:10:59:20 -0330] "POST /api?id=3 HTTP/2.0" 201 -"#,
        #"::1 - - [01/Jan/2024:00:00:00 +0000] "\x16\x03\x01\x00" 400 157 "-" "-""#,
        #"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "-" - 0 "" "agent \\ with backslash""#,
    ])
    func bothSinksGiveTheSameFields(line: String) throws {
        let text = Array(line.utf8)[...]
        var writer = JSONMemberWriter(output: [])
        try AccessLogScanner.scan(text, into: &writer)
        var members: [UInt8] = []
        for field in try AccessLogScanner.fields(of: text) {
            members += field.quotedName + [UInt8(ascii: ":")] + field.value + [UInt8(ascii: ",")]
        }
        #expect(String(decoding: writer.output, as: UTF8.self) == String(decoding: members, as: UTF8.self))
    }
}
