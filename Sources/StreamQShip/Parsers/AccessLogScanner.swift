import StreamQJSON

/// Reads the access-log lines nginx and Apache write in the common and combined formats:
/// `1.2.3.4 - alice [22/Apr/2009:18:52:51 +1200] "GET /a HTTP/1.1" 200 986 "http://ref/" "curl/8"`.
/// Fields: `client`, `ident`, `user`, `time` (RFC 3339 UTC), `method`, `path`, `protocol` (or
/// `request` when the request line is not three words), `status` and `bytes` as numbers, `referer`,
/// `agent`. A `-` leaves its field out, except `bytes`, where it means 0; text after the agent (a
/// forwarded-for column, say) is ignored, as the whole line stays in `message`.
///
/// The scanner hands each field to an ``AccessLogSink``: an array of ``ParsedField``, or a
/// ``JSONMemberWriter`` that writes the record's members straight away (what ``RecordEncoder``
/// does without a `--time-field`: no array per field).
enum AccessLogScanner {
    static func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        var fields: [ParsedField] = []
        fields.reserveCapacity(11)
        try scan(line, into: &fields)
        return fields
    }

    /// Hands the fields of `line` to `sink`, in the order the line has them.
    static func scan(_ line: ArraySlice<UInt8>, into fields: inout some AccessLogSink) throws(LineParseError) {
        var cursor = LineCursor(line)
        let client = cursor.token()
        guard !client.isEmpty else { throw cursor.error("expected the client address") }
        fields.string(.client, client)
        for name in [AccessLogField.ident, .user] {
            guard cursor.skip(0x20) else { throw cursor.error("expected a space") }
            let value = cursor.token()
            guard !value.isEmpty else { throw cursor.error("expected an identity or '-'") }
            if !isDash(value) { fields.string(name, value) }
        }
        guard cursor.skip(0x20), cursor.skip(UInt8(ascii: "[")) else { throw cursor.error("expected '[' and the time") }
        fields.time(.time, try time(&cursor))
        guard cursor.skip(UInt8(ascii: "]")), cursor.skip(0x20), cursor.skip(UInt8(ascii: "\"")) else {
            throw cursor.error("expected '] \"' and the request")
        }
        let request = try quoted(&cursor)
        appendRequest(request, to: &fields)
        guard cursor.skip(0x20) else { throw cursor.error("expected a space before the status") }
        if !cursor.skip(UInt8(ascii: "-")) {
            guard let status = cursor.number(minDigits: 3, maxDigits: 3) else {
                throw cursor.error("expected a status")
            }
            fields.number(.status, status)
        }
        guard cursor.skip(0x20) else { throw cursor.error("expected a space before the size") }
        if cursor.skip(UInt8(ascii: "-")) {
            fields.number(.bytes, digits: Self.zero)
        } else {
            let start = cursor.index
            while let byte = cursor.peek, byte &- 0x30 < 10 { cursor.index += 1 }
            guard cursor.index > start, cursor.index - start <= 18 else { throw cursor.error("expected a size") }
            var digits = line[start..<cursor.index]
            while digits.count > 1, digits.first == UInt8(ascii: "0") { digits = digits.dropFirst() }
            fields.number(.bytes, digits: digits)
        }
        guard !cursor.isAtEnd else { return }  // the common format ends here
        guard cursor.skip(0x20), cursor.skip(UInt8(ascii: "\"")) else {
            throw cursor.error("expected a quoted referer")
        }
        let referer = try quoted(&cursor)
        if !referer.isEmpty, !isDash(referer) { fields.string(.referer, referer) }
        guard cursor.skip(0x20), cursor.skip(UInt8(ascii: "\"")) else {
            throw cursor.error("expected a quoted user agent")
        }
        let agent = try quoted(&cursor)
        if !agent.isEmpty, !isDash(agent) { fields.string(.agent, agent) }
    }

    private static let zero: ArraySlice<UInt8> = [UInt8(ascii: "0")]

    private static func isDash(_ value: some Collection<UInt8>) -> Bool {
        value.count == 1 && value.first == UInt8(ascii: "-")
    }

    /// `22/Apr/2009:18:52:51 +1200`.
    private static func time(_ cursor: inout LineCursor) throws(LineParseError) -> EventTime {
        guard let day = cursor.number(maxDigits: 2), cursor.skip(UInt8(ascii: "/")),
            let month = cursor.monthName(), cursor.skip(UInt8(ascii: "/")),
            let year = cursor.number(minDigits: 4, maxDigits: 4), cursor.skip(UInt8(ascii: ":")),
            let hour = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
            let minute = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
            let second = cursor.number(minDigits: 2, maxDigits: 2)
        else { throw cursor.error("expected a time like 22/Apr/2009:18:52:51 +1200") }
        var fraction = (nanoseconds: 0, digits: 0)
        if cursor.skip(UInt8(ascii: ".")) {
            guard let value = cursor.fraction() else { throw cursor.error("expected digits of a fraction") }
            fraction = value
        }
        guard cursor.skip(0x20), let offset = cursor.utcOffset() else { throw cursor.error("expected a UTC offset") }
        guard
            let time = EventTime(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                nanoseconds: fraction.nanoseconds,
                fractionDigits: fraction.digits,
                utcOffset: offset
            )
        else { throw cursor.error("date or time out of range") }
        return time
    }

    /// The text up to the closing quote (the opening one is consumed), with `\"` and `\\` read as
    /// the character; other escapes (`\x16`) are kept as written.
    private static func quoted(_ cursor: inout LineCursor) throws(LineParseError) -> ArraySlice<UInt8> {
        let start = cursor.index
        var hasEscape = false
        // The slice is read in place: a copy of it would cost a retain per quoted field.
        let end = cursor.line.withUnsafeBytes { bytes in
            var index = start - cursor.line.startIndex
            while true {
                index = nextQuoteOrBackslash(in: bytes, from: index)
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\\") else { break }
                hasEscape = true
                index += index + 1 < bytes.count ? 2 : 1
            }
            return min(index, bytes.count)
        }
        cursor.index = cursor.line.startIndex + end
        guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.error("unterminated quoted text") }
        let text = cursor.line[start..<cursor.index]
        cursor.index += 1
        guard hasEscape else { return text }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            index += 1
            if byte == UInt8(ascii: "\\"), index < text.endIndex,
                text[index] == UInt8(ascii: "\"") || text[index] == UInt8(ascii: "\\")
            {
                unescaped.append(text[index])
                index += 1
            } else {
                unescaped.append(byte)
            }
        }
        return unescaped[...]
    }

    /// The first quote or backslash at or after `start` in `bytes`, or `bytes.count`; eight bytes
    /// at a time.
    private static func nextQuoteOrBackslash(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index + 8 <= bytes.count {
            let mask = JSONBytes.quotesAndBackslashes(
                bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian
            )
            if mask != 0 { return index + mask.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            index += 1
        }
        return index
    }

    /// `GET /path HTTP/1.1` as method, path and protocol; anything else (`-`, a TLS handshake sent
    /// to a plain port) as `request`.
    private static func appendRequest(_ request: ArraySlice<UInt8>, to fields: inout some AccessLogSink) {
        guard !request.isEmpty, !isDash(request) else { return }
        guard let firstSpace = request.firstIndex(of: 0x20), let lastSpace = request.lastIndex(of: 0x20),
            firstSpace > request.startIndex, lastSpace > firstSpace + 1,
            request[(lastSpace + 1)...].starts(with: httpPrefix)
        else {
            fields.string(.request, request)
            return
        }
        fields.string(.method, request[..<firstSpace])
        fields.string(.path, request[(firstSpace + 1)..<lastSpace])
        fields.string(.protocol, request[(lastSpace + 1)...])
    }

    private static let httpPrefix = Array("HTTP/".utf8)
}
