import Testing

@testable import StreamQShip

/// ``RecordEncoder/write(line:offset:origin:maxRecordBytes:to:)``, the one-pass writer of a whole
/// line's record, against ``RecordEncoder/append(_:offset:originalBytes:isTruncated:origin:to:)``.
@Suite struct LineRecordTests {
    private static let lines: [[UInt8]] = {
        var lines: [[UInt8]] = [
            [],
            Array("plain".utf8),
            Array(#"10.0.0.1 - - [22/Apr/2009:18:52:51 +1200] "GET /a?b=\"c\" HTTP/1.1" 200 5 "-" "curl/8.5.0""#.utf8),
            Array("tab\tcr\rbell\u{7}nul\u{0}esc\u{1B}del\u{7F}".utf8),
            Array("é ü 日本 🚀 \"quoted\" \\ back".utf8),
            Array(String(repeating: "long \"line\" é ", count: 400).utf8),  // over a 1024-byte block
            [UInt8](repeating: 0x1F, count: 300),  // every byte the longest escape
        ]
        // Not UTF-8: a lone continuation byte, a cut sequence, an overlong form, a surrogate, 0xFF.
        for bad: [UInt8] in [[0x80], [0xE6, 0x97], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF]] {
            lines.append(Array("before ".utf8) + bad + Array(" after \"q\"".utf8))
            lines.append(bad)
        }
        return lines
    }()

    private func written(_ line: [UInt8], offset: Int, encoder: RecordEncoder) -> [UInt8]? {
        let origin = encoder.origin(file: "/var/log/a \"b\".log")
        let room = RecordEncoder.maxLineRecordBytes(lineBytes: line.count, originBytes: origin.count)
        var target = [UInt8](repeating: 0, count: room)
        let length = line.withUnsafeBytes { line in
            origin.withUnsafeBytes { origin in
                target.withUnsafeMutableBytes {
                    RecordEncoder.write(
                        line: line,
                        offset: offset,
                        origin: origin,
                        maxRecordBytes: encoder.maxRecordBytes,
                        to: $0.baseAddress!
                    )
                }
            }
        }
        return length.map { Array(target[..<$0]) }
    }

    private func appended(
        _ line: [UInt8],
        offset: Int,
        encoder: RecordEncoder
    ) -> (
        record: [UInt8], outcome: RecordEncoder.Outcome
    ) {
        var record: [UInt8] = []
        let outcome = encoder.append(
            line[...],
            offset: offset,
            originalBytes: line.count,
            isTruncated: false,
            origin: encoder.origin(file: "/var/log/a \"b\".log"),
            to: &record
        )
        return (record, outcome)
    }

    /// Every line that is UTF-8 is written as `append` writes it, at offsets of every length;
    /// a line that is not is left to `append`, which repairs it.
    @Test func aWrittenLineIsTheAppendedRecordAndOnlyUTF8IsWritten() {
        let encoder = RecordEncoder(parser: .none, host: "web-1", maxRecordBytes: 1 << 20)
        #expect(encoder.recordsLinesAsTheyAre)
        for line in Self.lines {
            for offset in [0, 7, 9, 10, 99, 100, 12_345, 1_000_000_007, 98_765_432_109_876, Int.max] {
                let expected = appended(line, offset: offset, encoder: encoder)
                let isUTF8 = String(validating: line, as: UTF8.self) != nil
                #expect(written(line, offset: offset, encoder: encoder) == (isUTF8 ? expected.record : nil))
                #expect(!expected.outcome.parseFailed && !expected.outcome.truncated)
            }
        }
    }

    /// A record longer than `maxRecordBytes` (escapes can make it several times its line) is left
    /// to `append`, which cuts the line until it fits; one that fits exactly is written.
    @Test func aRecordOverTheLimitIsLeftToBeCut() throws {
        let line = [UInt8](repeating: UInt8(ascii: "\""), count: 600)
        let whole = appended(line, offset: 5, encoder: RecordEncoder(parser: .none, host: "h", maxRecordBytes: 1 << 20))
        let exact = RecordEncoder(parser: .none, host: "h", maxRecordBytes: whole.record.count)
        #expect(written(line, offset: 5, encoder: exact) == whole.record)
        let under = RecordEncoder(parser: .none, host: "h", maxRecordBytes: whole.record.count - 1)
        #expect(written(line, offset: 5, encoder: under) == nil)
        #expect(appended(line, offset: 5, encoder: under).outcome.truncated)
    }

    /// Offsets and lengths are written as their decimal digits, on either side of every power of ten.
    @Test func decimalsAreTheirDigits() {
        var values = [0, 1, Int.max, Int.max - 1, 1_000_000_007]
        var power = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        for value in values {
            var digits: [UInt8] = []
            RecordEncoder.appendDecimal(value, to: &digits)
            #expect(String(decoding: digits, as: UTF8.self) == String(value))
        }
    }

    /// Parsers and time fields make fields, so their records are not the line as it is.
    @Test func onlyLinesWithoutFieldsAreWrittenAsTheyAre() throws {
        #expect(!RecordEncoder(parser: .nginx, host: "h", maxRecordBytes: 1 << 20).recordsLinesAsTheyAre)
        let timed = LineParser(.none, eventTime: EventTimeRule(field: "t", format: try TimeFormat("rfc3339")))
        #expect(!RecordEncoder(parser: timed, host: "h", maxRecordBytes: 1 << 20).recordsLinesAsTheyAre)
    }
}
