import Foundation
import Testing

@testable import StreamQShip

@Suite struct ParserTests {
    private func record(_ line: String, parser: LineParser, maxRecordBytes: Int = 1 << 20) -> [String: Any] {
        let encoder = RecordEncoder(parser: parser, host: "web-1", maxRecordBytes: maxRecordBytes)
        let bytes = Array(line.utf8)
        let encoded = encoder.encode(
            LogLine(offset: 42, end: 42 + bytes.count + 1, text: bytes, originalBytes: bytes.count, isTruncated: false),
            file: "/var/log/app.log"
        )
        let object = try? JSONSerialization.jsonObject(with: Data(encoded.data)) as? [String: Any]
        #expect(object != nil, "not a JSON object: \(String(decoding: encoded.data, as: UTF8.self))")
        return object ?? [:]
    }

    @Test func noneKeepsTheLineAsMessage() {
        let fields = record("Dec 10 06:55:46 LabSZ sshd[24200]: \"quoted\" \\ tab\there", parser: .none)
        #expect(fields["message"] as? String == "Dec 10 06:55:46 LabSZ sshd[24200]: \"quoted\" \\ tab\there")
        #expect(fields["host"] as? String == "web-1")
        #expect(fields["file"] as? String == "/var/log/app.log")
        #expect(fields["offset"] as? Int == 42)
        #expect(fields["_parse_error"] == nil)
    }

    @Test func jsonKeepsFieldsAndExactNumbers() {
        let line =
            #"{"time":"2024-05-01T12:00:00.123Z","level":"INFO","msg":"request done","status":200,"duration_ms":12.50,"tags":["a",{"b":null}],"host":"app"}"#
        let fields = record(line, parser: .json)
        #expect(fields["level"] as? String == "INFO")
        #expect(fields["status"] as? Int == 200)
        #expect((fields["tags"] as? [Any])?.count == 2)
        #expect(fields["message"] as? String == line)  // no message field of its own: the line
        #expect(fields["host"] as? String == "web-1")
        #expect(fields["_host"] as? String == "app")
        let encoder = RecordEncoder(parser: .json, host: "h", maxRecordBytes: 1 << 20)
        let data = encoder.encode(
            LogLine(offset: 0, end: 1, text: Array(line.utf8), originalBytes: line.utf8.count, isTruncated: false),
            file: "f"
        ).data
        #expect(String(decoding: data, as: UTF8.self).contains(#""duration_ms":12.50"#))
    }

    @Test func jsonWithItsOwnMessage() {
        let fields = record(#"{"log":"hello\n","stream":"stdout","message":"hi"}"#, parser: .json)
        #expect(fields["message"] as? String == "hi")
        #expect(fields["log"] as? String == "hello\n")
    }

    @Test(arguments: [
        #"{"level":"info","msg":"cut here"#,
        #"{"a":1} trailing"#,
        #"["not","an","object"]"#,
        #"{"a":01}"#,
        #"{"a":"bad \x escape"}"#,
        #"{'single':'quotes'}"#,
        "plain text line",
        "",
    ])
    func malformedJSONIsShippedWithAnError(line: String) {
        let fields = record(line, parser: .json)
        #expect(fields["message"] as? String == line)
        #expect((fields["_parse_error"] as? String)?.isEmpty == false)
        #expect(fields["offset"] as? Int == 42)
    }

    @Test func logfmtHerokuRouterLine() {
        let line =
            #"at=info method=GET path="/" host=example.herokuapp.com request_id=8601b555 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13"#
        let fields = record(line, parser: .logfmt)
        #expect(fields["at"] as? String == "info")
        #expect(fields["path"] as? String == "/")
        #expect(fields["_host"] as? String == "example.herokuapp.com")
        #expect(fields["status"] as? String == "200")
        #expect(fields["message"] as? String == line)
    }

    @Test func logfmtQuotesEscapesAndBareKeys() {
        let fields = record(
            #"time=2024-05-01T12:00:00Z level=warn msg="disk \"almost\" full" cached pct=91 pct=92 empty="#,
            parser: .logfmt
        )
        #expect(fields["msg"] as? String == #"disk "almost" full"#)
        #expect(fields["cached"] as? Bool == true)
        #expect(fields["pct"] as? String == "92")
        #expect(fields["empty"] as? String == "")
    }

    @Test func logfmtKeysSeenTwiceOnLongLines() {
        let keys = (0..<40).map { "k\($0)=\($0)" }.joined(separator: " ")
        let fields = record("k3=first \(keys) k3=last k39=end", parser: .logfmt)
        #expect(fields["k3"] as? String == "last")
        #expect(fields["k39"] as? String == "end")
        #expect(fields["k20"] as? String == "20")
        #expect(fields.count == 40 + 4)  // with message, host, file and offset
    }

    @Test(arguments: [#"level=info msg="never closed"#, "just some words", #"=value"#, #"a"b=c"#])
    func malformedLogfmtIsShippedWithAnError(line: String) {
        let fields = record(line, parser: .logfmt)
        #expect(fields["message"] as? String == line)
        #expect((fields["_parse_error"] as? String)?.isEmpty == false)
    }

    @Test func invalidUTF8IsRepairedNotDropped() {
        let encoder = RecordEncoder(parser: .none, host: "h", maxRecordBytes: 1 << 20)
        let bytes: [UInt8] = Array("D".utf8) + [0xE9] + Array("c 10".utf8)
        let data = encoder.encode(
            LogLine(offset: 0, end: 7, text: bytes, originalBytes: bytes.count, isTruncated: false),
            file: "f"
        ).data
        let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any]
        #expect(object?["message"] as? String == "D\u{FFFD}c 10")
    }

    @Test func recordsOverTheLimitAreCutToFit() {
        let line = String(repeating: "\u{1}", count: 10_000)  // each byte escapes to six
        let fields = record(line, parser: .none, maxRecordBytes: 8_000)
        #expect(fields["_truncated"] as? Bool == true)
        #expect(fields["_original_bytes"] as? Int == 10_000)
        #expect(((fields["message"] as? String)?.count ?? 0) > 0)
    }
}
