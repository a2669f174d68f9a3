import Foundation
import Testing

@testable import StreamQShip

/// Every prefix of realistic lines, and the lines with bytes replaced, through every parser: each
/// gives one valid JSON record, parsed or marked `_parse_error`, and none crashes a scanner.
@Suite struct ParserRobustnessTests {
    static let samples = [
        #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" a="x\"y\]z"] An application event"#,
        "<34>Oct 11 22:14:15 mymachine su[81]: 'su root' failed for lonvick on /dev/pts/8",
        "2024-06-15T08:00:01.123456+02:00 box CRON[7]: (root) CMD (x)",
        #"1.2.3.4 - bob [22/Apr/2009:18:52:51 +1200] "GET /a?b=\"1\" HTTP/1.1" 200 986 "http://r/" "curl/8.5" "-""#,
        #"2024/01/02 03:04:05 [error] 123#0: *5 failed (2: x), client: 1.2.3.4, server: e.com, request: "GET / HTTP/1.1", host: "e.com""#,
        "[Tue Jan 02 03:04:05.123456 2024] [core:error] [pid 123:tid 456] [client ::1:5678] AH00128: no file",
        #"{"time":"2024-05-01T12:00:00.123Z","level":"INFO","n":-1.5e3,"tags":["a",{"b":null}]}"#,
        #"time=2024-05-01T12:00:00Z level=warn msg="disk \"almost\" full" cached"#,
    ]

    static let parsers: [LineParser] = {
        var all: [LineParser] = [.json, .logfmt, .syslog, .nginx, .apache]
        if let regex = try? LineParser(named: #"regex:^(?<first>\S+) (?<second>\S*)"#) { all.append(regex) }
        var timed = LineParser.json
        if let format = try? TimeFormat("%Y-%m-%dT%H:%M:%S.%f%z") {
            timed.eventTime = EventTimeRule(field: "time", format: format)
        }
        all.append(timed)
        return all
    }()

    @Test(arguments: samples)
    func everyPrefixAndDamagedByteGivesOneValidRecord(sample: String) {
        let bytes = Array(sample.utf8)
        var variants: [[UInt8]] = (0...bytes.count).map { Array(bytes[..<$0]) }
        for index in bytes.indices {
            for replacement: UInt8 in [0x20, 0x22, 0x5C, 0x5B, 0x5D, 0x3A, 0x2D, 0x00] {
                var damaged = bytes
                damaged[index] = replacement
                variants.append(damaged)
            }
        }
        var invalid = 0
        for parser in Self.parsers {
            let encoder = RecordEncoder(parser: parser, host: "h", maxRecordBytes: 1 << 20)
            for variant in variants {
                let encoded = encoder.encode(
                    LogLine(
                        offset: 0,
                        end: variant.count + 1,
                        text: variant,
                        originalBytes: variant.count,
                        isTruncated: false
                    ),
                    file: "f"
                )
                let object = try? JSONSerialization.jsonObject(with: Data(encoded.data)) as? [String: Any]
                if object == nil
                    || (encoded.parseFailed && object?["_parse_error"] == nil && object?["_time_error"] == nil)
                {
                    invalid += 1
                }
            }
        }
        #expect(invalid == 0)
    }
}
