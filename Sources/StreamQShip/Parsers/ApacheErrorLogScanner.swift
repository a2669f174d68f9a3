/// Reads Apache error-log lines, 2.4's `[Tue Jan 02 03:04:05.123456 2024] [core:error] [pid 123:tid
/// 456] [client 1.2.3.4:5678] AH00128: File does not exist` and 2.2's `[Sun Dec 04 04:47:44 2005]
/// [error] [client 1.2.3.4] message`. Fields: `time` (the server's local time, taken as UTC),
/// `module`, `level`, `pid`, `tid`, `client` and `client_port`, `message`.
enum ApacheErrorLogScanner {
    static func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        var cursor = LineCursor(line)
        var fields: [ParsedField] = []
        fields.reserveCapacity(8)
        guard cursor.skip(UInt8(ascii: "[")), cursor.weekdayName(), cursor.skip(0x20), let month = cursor.monthName(),
            cursor.skip(0x20)
        else { throw cursor.error("expected a time like [Tue Jan 02 03:04:05 2024]") }
        cursor.skipSpaces()
        guard let day = cursor.number(maxDigits: 2), cursor.skip(0x20),
            let hour = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
            let minute = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
            let second = cursor.number(minDigits: 2, maxDigits: 2)
        else { throw cursor.error("expected a time like [Tue Jan 02 03:04:05 2024]") }
        var fraction = (nanoseconds: 0, digits: 0)
        if cursor.skip(UInt8(ascii: ".")) {
            guard let value = cursor.fraction() else { throw cursor.error("expected digits of a fraction") }
            fraction = value
        }
        guard cursor.skip(0x20), let year = cursor.number(minDigits: 4, maxDigits: 4), cursor.skip(UInt8(ascii: "]"))
        else { throw cursor.error("expected the year and ']'") }
        guard
            let time = EventTime(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                nanoseconds: fraction.nanoseconds,
                fractionDigits: fraction.digits
            )
        else { throw cursor.error("date or time out of range") }
        fields.append(.time(FieldName.time, time))
        guard cursor.skip(0x20), cursor.skip(UInt8(ascii: "[")), let level = cursor.upTo(UInt8(ascii: "]")),
            !level.isEmpty
        else { throw cursor.error("expected [module:level] or [level]") }
        if let colon = level.firstIndex(of: UInt8(ascii: ":")) {
            fields.append(.string(FieldName.module, level[..<colon]))
            fields.append(.string(FieldName.level, level[(colon + 1)...]))
        } else {
            fields.append(.string(FieldName.level, level))
        }
        while true {
            var group = cursor
            guard group.skip(0x20), group.skip(UInt8(ascii: "[")), let content = group.upTo(UInt8(ascii: "]")),
                contextFields(content, into: &fields)
            else { break }
            cursor = group
        }
        _ = cursor.skip(0x20)
        fields.append(.string(FieldName.message, cursor.rest))
        return fields
    }

    /// `pid 123:tid 456` or `client 1.2.3.4:5678` as fields; false for any other bracketed text,
    /// which is then part of the message.
    private static func contextFields(_ content: ArraySlice<UInt8>, into fields: inout [ParsedField]) -> Bool {
        var cursor = LineCursor(content)
        if content.starts(with: "pid ".utf8) {
            cursor.index += 4
            guard let pid = cursor.number(maxDigits: 18) else { return false }
            fields.append(.number(FieldName.pid, pid))
            if cursor.skip(UInt8(ascii: ":")) {
                guard content[cursor.index...].starts(with: "tid ".utf8) else { return false }
                cursor.index += 4
                guard let tid = cursor.number(maxDigits: 18) else { return false }
                fields.append(.number(FieldName.tid, tid))
            }
            return cursor.isAtEnd
        }
        if content.starts(with: "client ".utf8) {
            let address = content.dropFirst(7)
            guard !address.isEmpty else { return false }
            // 1.2.3.4:5678 or ::1:5678 in 2.4; 2.2 writes the address alone.
            var port = LineCursor(address)
            if let colon = address.lastIndex(of: UInt8(ascii: ":")),
                address.contains(UInt8(ascii: ".")) || address[..<colon].contains(UInt8(ascii: ":"))
            {
                port.index = colon + 1
                if let number = port.number(maxDigits: 5), port.isAtEnd {
                    fields.append(.string(FieldName.client, address[..<colon]))
                    fields.append(.number(FieldName.clientPort, number))
                    return true
                }
            }
            fields.append(.string(FieldName.client, address))
            return true
        }
        return false
    }
}
