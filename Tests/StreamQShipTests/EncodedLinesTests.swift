import Testing

@testable import StreamQShip

@Suite struct EncodedLinesTests {
    /// Lines encoded in parts on several cores are the records of each line encoded on its own, in
    /// the lines' order, with their outcomes.
    @Test(arguments: [LineParser.none, LineParser.nginx, LineParser.json])
    func partsHoldEveryLinesRecordInOrder(parser: LineParser) {
        let encoder = RecordEncoder(parser: parser, host: "web-1", maxRecordBytes: 1 << 20)
        var lines = LineBatch()
        var offset = 0
        for index in 0..<5000 {
            let text =
                switch index % 4 {
                case 0:
                    #"10.0.0.\#(index % 256) - - [22/Apr/2009:18:52:51 +1200] "GET /a?\#(index) HTTP/1.1" 200 \#(index)"#
                case 1: #"{"n":\#(index),"quote":"\"","tab":"\t"}"#
                case 2: "not \"parsed\" \(index)\u{1}"
                default: ""
                }
            let bytes = Array(text.utf8)
            lines.append(
                LogLine(
                    offset: offset,
                    end: offset + bytes.count + 1,
                    text: bytes,
                    originalBytes: bytes.count,
                    isTruncated: false
                )
            )
            offset += bytes.count + 1
        }
        let origin = encoder.origin(file: "/var/log/a.log")
        let parts = EncodedLines.encode(lines, encoder: encoder, origin: origin)
        #expect(parts.count > 1)
        var index = 0
        for part in parts {
            for record in 0..<part.count {
                let alone = encoder.encode(lines[index], file: "/var/log/a.log")
                #expect(part.withRecord(record) { Array($0) } == alone.data)
                #expect(part.outcomes[record].parseFailed == alone.parseFailed)
                index += 1
            }
        }
        #expect(index == lines.count)
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
