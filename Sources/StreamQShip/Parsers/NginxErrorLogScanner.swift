import StreamQJSON

/// Reads nginx error-log lines: `2024/01/02 03:04:05 [error] 123#0: *5 open() failed, client:
/// 1.2.3.4, server: example.com, request: "GET / HTTP/1.1", host: "example.com"`. Fields: `time`
/// (the server's local time, taken as UTC), `level`, `pid`, `tid`, `connection`, `message`, then
/// the context nginx appends (`client`, `server`, `request`, `upstream`, …; its `host` becomes
/// `http_host`, so as not to be the shipping host, and `referrer` becomes `referer`).
enum NginxErrorLogScanner {
    /// Whether a line starts the way nginx error lines do (`2024/`), rather than as an access line.
    static func matches(_ line: ArraySlice<UInt8>) -> Bool {
        line.count > 5 && line.prefix(4).allSatisfy { $0 &- 0x30 < 10 }
            && line[line.startIndex + 4] == UInt8(ascii: "/")
    }

    static func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        var cursor = LineCursor(line)
        var fields: [ParsedField] = []
        fields.reserveCapacity(10)
        guard let year = cursor.number(minDigits: 4, maxDigits: 4), cursor.skip(UInt8(ascii: "/")),
            let month = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: "/")),
            let day = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(0x20),
            let hour = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
            let minute = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
            let second = cursor.number(minDigits: 2, maxDigits: 2)
        else { throw cursor.error("expected a time like 2024/01/02 03:04:05") }
        guard let time = EventTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { throw cursor.error("date or time out of range") }
        fields.append(.time(FieldName.time, time))
        guard cursor.skip(0x20), cursor.skip(UInt8(ascii: "[")), let level = cursor.upTo(UInt8(ascii: "]")),
            !level.isEmpty
        else { throw cursor.error("expected a [level]") }
        fields.append(.string(FieldName.level, level))
        guard cursor.skip(0x20), let pid = cursor.number(maxDigits: 18), cursor.skip(UInt8(ascii: "#")),
            let tid = cursor.number(maxDigits: 18), cursor.skip(UInt8(ascii: ":"))
        else { throw cursor.error("expected pid#tid:") }
        fields.append(.number(FieldName.pid, pid))
        fields.append(.number(FieldName.tid, tid))
        cursor.skipSpaces()
        var connection = cursor
        if connection.skip(UInt8(ascii: "*")), let id = connection.number(maxDigits: 18), connection.skip(0x20) {
            fields.append(.number(FieldName.connection, id))
            cursor = connection
        }
        var message = cursor.rest
        if let start = context(in: message), let extra = try? contextFields(message[start...]) {
            message = message[..<start]
            fields.append(.string(FieldName.message, message))
            fields += extra
        } else {
            fields.append(.string(FieldName.message, message))
        }
        return fields
    }

    private static let contextStart = Array(", client: ".utf8)

    /// Where `, client: ` starts: nginx appends its context there.
    private static func context(in text: ArraySlice<UInt8>) -> Int? {
        var index = text.startIndex
        while let comma = text[index...].firstIndex(of: UInt8(ascii: ",")) {
            if text[comma...].starts(with: contextStart) { return comma }
            index = comma + 1
        }
        return nil
    }

    /// `, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1"` as fields.
    private static func contextFields(_ text: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        var cursor = LineCursor(text)
        var fields: [ParsedField] = []
        while cursor.skip(UInt8(ascii: ",")) {
            guard cursor.skip(0x20) else { throw cursor.error("expected a space") }
            let keyStart = cursor.index
            while let byte = cursor.peek, byte == UInt8(ascii: "_") || (byte | 0x20) &- 0x61 < 26 { cursor.index += 1 }
            let key = text[keyStart..<cursor.index]
            guard !key.isEmpty, cursor.skip(UInt8(ascii: ":")), cursor.skip(0x20) else {
                throw cursor.error("expected 'key: '")
            }
            let value: ArraySlice<UInt8>
            if cursor.skip(UInt8(ascii: "\"")) {
                let start = cursor.index
                while let byte = cursor.peek {
                    if byte == UInt8(ascii: "\""), cursor.index + 1 == text.endIndex || text[cursor.index + 1] == 0x2C {
                        break
                    }
                    cursor.index += 1
                }
                guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.error("unterminated quoted value") }
                value = text[start..<cursor.index]
                cursor.index += 1
            } else {
                let start = cursor.index
                while let byte = cursor.peek, byte != 0x2C { cursor.index += 1 }
                value = text[start..<cursor.index]
            }
            fields.append(.string(name(of: key), value))
        }
        guard cursor.isAtEnd else { throw cursor.error("expected ', key: value'") }
        return fields
    }

    private static func name(of key: ArraySlice<UInt8>) -> [UInt8] {
        if key.elementsEqual("client".utf8) { return FieldName.client }
        if key.elementsEqual("request".utf8) { return FieldName.request }
        if key.elementsEqual("host".utf8) { return FieldName.httpHost }
        if key.elementsEqual("referrer".utf8) { return FieldName.referer }
        var name: [UInt8] = []
        JSONString.append(key, to: &name)
        return name
    }
}
