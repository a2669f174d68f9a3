import Foundation
import Testing

@testable import StreamQShip

/// The record `streamq ship` makes of `line` with `parser`, decoded, and whether it counts as not parsed.
func parsedRecord(_ line: String, parser: LineParser) -> (fields: [String: Any], failed: Bool) {
    let encoder = RecordEncoder(parser: parser, host: "web-1", maxRecordBytes: 1 << 20)
    let bytes = Array(line.utf8)
    let encoded = encoder.encode(
        LogLine(offset: 7, end: 7 + bytes.count + 1, text: bytes, originalBytes: bytes.count, isTruncated: false),
        file: "/var/log/test.log"
    )
    let object = try? JSONSerialization.jsonObject(with: Data(encoded.data)) as? [String: Any]
    #expect(object != nil, "not a JSON object: \(String(decoding: encoded.data, as: UTF8.self))")
    return (object ?? [:], encoded.parseFailed)
}

/// A parser whose clock stands at `now` (UTC).
func clocked(_ parser: LineParser, now: String) -> LineParser {
    var parser = parser
    var cursor = LineCursor(Array(now.utf8)[...])
    let seconds = (try? cursor.rfc3339())?.seconds ?? 0
    parser.now = { seconds }
    return parser
}
