import StreamQJSON

/// Turns a line into the JSON record `streamq ship` stores: the parsed fields, then `time` (the
/// event time in RFC 3339 UTC, when `--time-field` names one; see ``EventTimeRule``), `message`
/// (the line, unless the parser found a `message` field of its own), `host`, `file` and `offset`
/// (the byte where the line starts). A parsed field named `host`, `file` or `offset` is kept as
/// `_host`, `_file` or `_offset`, since those three say where the line came from; the built-in
/// parsers avoid those names (syslog's host is `hostname`). A truncated line adds `_truncated: true`
/// and `_original_bytes`; a line the parser rejects is shipped as it is with `_parse_error`, one
/// whose event time cannot be read with `_time_error`.
struct RecordEncoder: Sendable {
    var parser: LineParser
    var host: String
    /// The largest record the destination accepts; longer lines are cut until the record fits.
    var maxRecordBytes: Int

    struct Encoded {
        var data: [UInt8]
        /// The parser rejected the line, or its event time is missing or unreadable.
        var parseFailed: Bool
        var truncated: Bool
    }

    private static let hostField = Array("\"host\"".utf8)
    private static let fileField = Array("\"file\"".utf8)
    private static let offsetField = Array("\"offset\"".utf8)
    private static let messageField = Array("\"message\"".utf8)

    /// Whether a parsed field has the name of one the encoder adds (`host`, `file`, `offset`).
    private static func isOriginField(_ quotedName: [UInt8]) -> Bool {
        quotedName == hostField || quotedName == fileField || quotedName == offsetField
    }

    /// What encoding a line found.
    struct Outcome {
        var parseFailed: Bool
        var truncated: Bool
    }

    /// Where a record came from: the members that follow `host`.
    enum Origin {
        /// `file` and `offset`.
        case file(String)
        /// `peer` (the sender's address) and `transport` (`udp` or `tcp`), for syslog messages.
        case network(peer: String, transport: String)
    }

    func encode(_ line: LogLine, file: String) -> Encoded {
        encode(line, origin: .file(file))
    }

    func encode(_ line: LogLine, origin: Origin) -> Encoded {
        var data: [UInt8] = []
        let members: [UInt8]
        let offset: Int?
        switch origin {
        case .file(let file):
            members = self.origin(file: file)
            offset = line.offset
        case .network(let peer, let transport):
            var bytes = Array("\"host\":".utf8)
            JSONString.append(host.utf8, to: &bytes)
            bytes.append(contentsOf: ",\"peer\":".utf8)
            JSONString.append(peer.utf8, to: &bytes)
            bytes.append(contentsOf: ",\"transport\":".utf8)
            JSONString.append(transport.utf8, to: &bytes)
            members = bytes
            offset = nil
        }
        let outcome = append(
            line.text[...],
            offset: offset,
            originalBytes: line.originalBytes,
            isTruncated: line.isTruncated,
            origin: members,
            to: &data
        )
        return Encoded(data: data, parseFailed: outcome.parseFailed, truncated: outcome.truncated)
    }

    /// `"host":…,"file":…,"offset":`, the same for every line of a file: made once per read of it.
    func origin(file: String) -> [UInt8] {
        var origin = Array("\"host\":".utf8)
        JSONString.append(host.utf8, to: &origin)
        origin.append(contentsOf: ",\"file\":".utf8)
        JSONString.append(file.utf8, to: &origin)
        origin.append(contentsOf: ",\"offset\":".utf8)
        return origin
    }

    /// Whether a line's record holds no parsed fields (no parser, no time field): then
    /// ``write(line:offset:origin:maxRecordBytes:to:)`` can write it.
    var recordsLinesAsTheyAre: Bool { parser.kind == .none && parser.eventTime == nil }

    /// The most bytes ``write(line:offset:origin:maxRecordBytes:to:)`` writes for a line of
    /// `lineBytes` bytes and an `origin` of `originBytes`.
    static func maxLineRecordBytes(lineBytes: Int, originBytes: Int) -> Int {
        messagePrefix.utf8CodeUnitCount + JSONString.maxQuotedBytes(lineBytes) + 1 + originBytes + decimalRoom + 1
    }

    /// Writes the record of the whole line `text` (starting at byte `offset` of its file) at
    /// `target`, which has room for ``maxLineRecordBytes(lineBytes:originBytes:)``: the record
    /// ``append(_:offset:originalBytes:isTruncated:origin:to:)`` makes when
    /// ``recordsLinesAsTheyAre``, the line escaped as it is copied, in one pass. Returns the
    /// record's length, or nil when the line is not UTF-8 or the record is longer than
    /// `maxRecordBytes`: that one needs the repair or the cut of `append`. (Static, so that a
    /// caller need not copy an encoder per line.)
    static func write(
        line text: UnsafeRawBufferPointer,
        offset: Int,
        origin: UnsafeRawBufferPointer,
        maxRecordBytes: Int,
        to target: UnsafeMutableRawPointer
    ) -> Int? {
        var written = messagePrefix.utf8CodeUnitCount
        target.copyMemory(from: messagePrefix.utf8Start, byteCount: written)
        let message = JSONString.write(text, to: target + written)
        if !message.isASCII, String(validating: text.assumingMemoryBound(to: UInt8.self), as: UTF8.self) == nil {
            return nil
        }
        written += message.count
        target.storeBytes(of: UInt8(ascii: ","), toByteOffset: written, as: UInt8.self)
        written += 1
        if let base = origin.baseAddress { (target + written).copyMemory(from: base, byteCount: origin.count) }
        written += origin.count
        written += writeDecimal(offset, to: target + written)
        target.storeBytes(of: UInt8(ascii: "}"), toByteOffset: written, as: UInt8.self)
        written += 1
        return written <= maxRecordBytes ? written : nil
    }

    /// Appends the record of the line `text` (starting at byte `offset` of its file) to `output`,
    /// with `origin` from ``origin(file:)`` (or, without an offset, a network origin's members).
    func append(
        _ text: ArraySlice<UInt8>,
        offset: Int?,
        originalBytes: Int,
        isTruncated: Bool,
        origin: [UInt8],
        to output: inout [UInt8]
    ) -> Outcome {
        let start = output.count
        var text = text
        var truncated = isTruncated
        while true {
            let parseFailed = append(
                text: text,
                offset: offset,
                originalBytes: originalBytes,
                truncated: truncated,
                origin: origin,
                to: &output
            )
            let bytes = output.count - start
            if bytes <= maxRecordBytes || text.isEmpty {
                return Outcome(parseFailed: parseFailed, truncated: truncated)
            }
            // Escapes can make a record several times its line: cut the line in proportion and retry.
            output.removeSubrange(start...)
            let keep = max(0, text.count * maxRecordBytes / bytes - 1024)
            text = text.prefix(keep)
            truncated = true
        }
    }

    /// Appends one record; returns whether the parser rejected the line.
    private func append(
        text: ArraySlice<UInt8>,
        offset: Int?,
        originalBytes: Int,
        truncated: Bool,
        origin: [UInt8],
        to output: inout [UInt8]
    ) -> Bool {
        let message = Self.isValidUTF8(text) ? text : Array(String(decoding: text, as: UTF8.self).utf8)[...]
        let start = output.count
        output.append(UInt8(ascii: "{"))
        var parseError: String?
        var timeError: String?
        var hasMessage = false
        // Without a parser or a time field there are no fields: the record is the line and its origin.
        if parser.kind != .none || parser.eventTime != nil {
            do throws(LineParseError) {
                if parser.eventTime == nil, parser.isAccessLogLine(message) {
                    // The common case of an access log, written as it is read: no array per field.
                    var writer = JSONMemberWriter(output: [])
                    swap(&writer.output, &output)
                    defer { swap(&writer.output, &output) }
                    try AccessLogScanner.scan(message, into: &writer)
                } else {
                    (hasMessage, timeError) = try appendFields(of: message, to: &output)
                }
            } catch {
                output.removeSubrange((start + 1)...)
                parseError = error.message
            }
        }
        if !hasMessage {
            output.append(contentsOf: Self.messageKey)
            JSONString.append(message, to: &output)
            output.append(UInt8(ascii: ","))
        }
        output.append(contentsOf: origin)
        if let offset { Self.appendDecimal(offset, to: &output) }
        if truncated {
            output.append(contentsOf: ",\"_truncated\":true,\"_original_bytes\":".utf8)
            Self.appendDecimal(originalBytes, to: &output)
        }
        if let parseError {
            output.append(contentsOf: ",\"_parse_error\":".utf8)
            JSONString.append(parseError.utf8, to: &output)
        }
        if let timeError {
            output.append(contentsOf: ",\"_time_error\":".utf8)
            JSONString.append(timeError.utf8, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return parseError != nil || timeError != nil
    }

    /// Appends the members of the fields the parser finds in `message`, and the event time;
    /// returns whether the parser found a `message` of its own, and why the event time is
    /// missing.
    private func appendFields(
        of message: ArraySlice<UInt8>,
        to output: inout [UInt8]
    ) throws(LineParseError) -> (hasMessage: Bool, timeError: String?) {
        var hasMessage = false
        var timeError: String?
        let fields = try parser.fields(of: message)
        var eventTime: EventTime?
        if let rule = parser.eventTime {
            do throws(LineParseError) {
                eventTime = try rule.time(in: fields, now: parser.now)
            } catch {
                timeError = error.message
            }
        }
        for field in fields {
            if field.quotedName == Self.messageField { hasMessage = true }
            if let rule = parser.eventTime, field.quotedName == FieldName.time {
                // `time` is the event time alone: it replaces its source, and any other `time` moves aside.
                if eventTime != nil, rule.quotedField == FieldName.time { continue }
                output.append(contentsOf: "\"_time\"".utf8)
            } else if Self.isOriginField(field.quotedName) {
                output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "_")])
                output.append(contentsOf: field.quotedName.dropFirst())
            } else {
                output.append(contentsOf: field.quotedName)
            }
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: field.value)
            output.append(UInt8(ascii: ","))
        }
        if let eventTime {
            output.append(contentsOf: "\"time\":".utf8)
            eventTime.appendQuotedRFC3339(to: &output)
            output.append(UInt8(ascii: ","))
        }
        return (hasMessage, timeError)
    }

    private static let messageKey = Array("\"message\":".utf8)
    /// A record's start when the line is its message: ``messageKey`` after the brace.
    private static let messagePrefix: StaticString = "{\"message\":"

    /// Appends the digits of a non-negative `value`, without making a String.
    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 bytes
        withUnsafeMutableBytes(of: &digits) { buffer in
            let count = writeDecimal(value, to: buffer.baseAddress!)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Writes the digits of a non-negative `value` at `target`, which has room for
    /// ``decimalRoom`` bytes (what follows the digits there may be overwritten); returns how many.
    /// Eight digits at a time, each eight made in one word (see ``eightDigits(_:)``).
    static func writeDecimal(_ value: Int, to target: UnsafeMutableRawPointer) -> Int {
        let value = UInt64(max(0, value))
        if value < 100_000_000 {
            let digits = eightDigits(value)
            let leadingZeros = min(7, digits.trailingZeroBitCount >> 3)  // "0" itself keeps one
            target.storeBytes(of: (asciiDigits(digits) >> (8 * UInt64(leadingZeros))).littleEndian, as: UInt64.self)
            return 8 - leadingZeros
        }
        let count = writeDecimal(Int(value / 100_000_000), to: target)
        target.storeBytes(
            of: asciiDigits(eightDigits(value % 100_000_000)).littleEndian,
            toByteOffset: count,
            as: UInt64.self
        )
        return count + 8
    }

    /// The bytes ``writeDecimal(_:to:)`` may write: the digits of the largest `Int`, and the rest
    /// of the word its last eight are stored with.
    static let decimalRoom = 24

    /// The eight decimal digits of `value` (below 10^8, leading zeros included) as the values 0
    /// to 9 in the bytes of a word, the first digit in the lowest byte: split in halves of four
    /// digits, each half in two pairs and each pair in two digits, both lanes at once (dividing by
    /// 100 and 10 as multiplying and shifting, exact for these ranges).
    @inline(__always)
    private static func eightDigits(_ value: UInt64) -> UInt64 {
        var lanes = value / 10_000 | (value % 10_000) << 32
        let hundreds = (lanes &* 10_486) >> 20 & 0x0000_007F_0000_007F
        lanes = hundreds | (lanes &- hundreds &* 100) << 16
        let tens = (lanes &* 103) >> 10 & 0x000F_000F_000F_000F
        return tens | (lanes &- tens &* 10) << 8
    }

    @inline(__always)
    private static func asciiDigits(_ digits: UInt64) -> UInt64 { digits | 0x3030_3030_3030_3030 }

    /// Whether `text` is UTF-8; ASCII lines (most log lines) are told apart without building a String.
    private static func isValidUTF8(_ text: ArraySlice<UInt8>) -> Bool {
        let ascii = text.withUnsafeBytes { bytes in
            // Eight bytes at a time: a byte of 0x80 or above is not ASCII.
            var index = 0
            while index + 8 <= bytes.count {
                if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                    return false
                }
                index += 8
            }
            return !bytes[index...].contains { $0 >= 0x80 }
        }
        return ascii || String(validating: text, as: UTF8.self) != nil
    }
}
