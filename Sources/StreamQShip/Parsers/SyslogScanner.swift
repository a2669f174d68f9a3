import StreamQJSON

/// Reads syslog lines, telling the two formats apart by what follows the priority:
///
/// - RFC 5424, `<165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 [id@1 k="v"] message`: every
///   header field may be `-` (left out of the record; a `-` timestamp is the time of reading), and
///   the structured data becomes `structured_data`, an object of objects.
/// - RFC 3164, `<34>Oct 11 22:14:15 host su[81]: message`, also without the priority as files in
///   /var/log hold it, and with an RFC 3339 timestamp instead (rsyslog's file format). The year is
///   the latest that does not put the time more than a day ahead of now (so a December line read in
///   January is last year's); a tag without a host is accepted.
///
/// Fields: `facility` and `severity` (names, as Fluent Bit and Vector give them), `time` (RFC 3339
/// UTC), `hostname`, `appname`, `procid`, `msgid`, `structured_data`, `message`.
enum SyslogScanner {
    static func fields(of line: ArraySlice<UInt8>, now: Int64) throws(LineParseError) -> [ParsedField] {
        var cursor = LineCursor(line)
        var fields: [ParsedField] = []
        fields.reserveCapacity(9)
        if cursor.skip(UInt8(ascii: "<")) {
            guard let priority = cursor.number(maxDigits: 3), priority <= 191, cursor.skip(UInt8(ascii: ">")) else {
                throw cursor.error("expected a priority <0> to <191>")
            }
            fields.append(ParsedField(quotedName: FieldName.facility, value: facilityNames[priority >> 3]))
            fields.append(ParsedField(quotedName: FieldName.severity, value: severityNames[priority & 7]))
            var version = cursor
            if version.number(maxDigits: 2) != nil, version.skip(0x20) {
                try rfc5424(&version, now: now, into: &fields)
                return fields
            }
        }
        try rfc3164(&cursor, now: now, into: &fields)
        return fields
    }

    private static func rfc3164(
        _ cursor: inout LineCursor,
        now: Int64,
        into fields: inout [ParsedField]
    ) throws(LineParseError) {
        let time: EventTime
        if let month = cursor.monthName() {
            cursor.skipSpaces()
            guard let day = cursor.number(maxDigits: 2), cursor.skip(0x20),
                let hour = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
                let minute = cursor.number(minDigits: 2, maxDigits: 2), cursor.skip(UInt8(ascii: ":")),
                let second = cursor.number(minDigits: 2, maxDigits: 2)
            else { throw cursor.error("expected a timestamp like 'Oct 11 22:14:15'") }
            guard
                let inferred = EventTime(
                    yearInferredFrom: now,
                    month: month,
                    day: day,
                    hour: hour,
                    minute: minute,
                    second: second
                )
            else { throw cursor.error("date or time out of range") }
            time = inferred
        } else if cursor.peek.map({ $0 &- 0x30 < 10 }) == true {
            time = try cursor.rfc3339()
        } else {
            throw cursor.error("expected a timestamp like 'Oct 11 22:14:15'")
        }
        fields.append(.time(FieldName.time, time))
        guard cursor.skip(0x20) else { throw cursor.error("expected a space after the timestamp") }
        cursor.skipSpaces()
        var first = cursor
        let token = first.token()
        if !isTag(token) {
            guard !token.isEmpty else { throw cursor.error("expected a host name") }
            fields.append(.string(FieldName.hostname, token))
            cursor = first
            cursor.skipSpaces()
        }
        var tagCursor = cursor
        let tag = tagCursor.token()
        if isTag(tag) {
            var name = tag.dropLast()
            if name.last == UInt8(ascii: "]"), let open = name.lastIndex(of: UInt8(ascii: "[")) {
                let procid = name[(open + 1)..<(name.endIndex - 1)]
                name = name[..<open]
                if !name.isEmpty { fields.append(.string(FieldName.appname, name)) }
                if !procid.isEmpty { fields.append(.string(FieldName.procid, procid)) }
            } else if !name.isEmpty {
                fields.append(.string(FieldName.appname, name))
            }
            cursor = tagCursor
            _ = cursor.skip(0x20)
        }
        fields.append(.string(FieldName.message, cursor.rest))
    }

    /// Whether a word is a syslog tag: `app:` or `app[pid]:`.
    private static func isTag(_ token: ArraySlice<UInt8>) -> Bool {
        token.count > 1 && token.last == UInt8(ascii: ":")
    }

    private static func rfc5424(
        _ cursor: inout LineCursor,
        now: Int64,
        into fields: inout [ParsedField]
    ) throws(LineParseError) {
        if cursor.skip(UInt8(ascii: "-")) {
            guard let arrival = EventTime(seconds: now) else { throw cursor.error("the clock is out of range") }
            fields.append(.time(FieldName.time, arrival))
        } else {
            fields.append(.time(FieldName.time, try cursor.rfc3339()))
        }
        for name in headerNames {
            guard cursor.skip(0x20) else { throw cursor.error("expected a space before the next header field") }
            let value = cursor.token()
            guard !value.isEmpty else { throw cursor.error("expected a header field") }
            if !(value.count == 1 && value.first == UInt8(ascii: "-")) { fields.append(.string(name, value)) }
        }
        guard cursor.skip(0x20) else { throw cursor.error("expected a space before the structured data") }
        if !cursor.skip(UInt8(ascii: "-")) {
            fields.append(ParsedField(quotedName: FieldName.structuredData, value: try structuredData(&cursor)))
        }
        guard !cursor.isAtEnd else { return }
        guard cursor.skip(0x20) else { throw cursor.error("expected a space before the message") }
        var message = cursor.rest
        if message.starts(with: [0xEF, 0xBB, 0xBF]) { message = message.dropFirst(3) }
        fields.append(.string(FieldName.message, message))
    }

    /// `[id k="v" …][id2 …]` as `{"id":{"k":"v",…},"id2":{…}}`; a parameter named twice in an
    /// element keeps its last value.
    private static func structuredData(_ cursor: inout LineCursor) throws(LineParseError) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        guard cursor.peek == UInt8(ascii: "[") else { throw cursor.error("expected '-' or '[' for structured data") }
        while cursor.skip(UInt8(ascii: "[")) {
            if output.count > 1 { output.append(UInt8(ascii: ",")) }
            let id = name(&cursor)
            guard !id.isEmpty else { throw cursor.error("expected an SD-ID") }
            JSONString.append(id, to: &output)
            output.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "{")])
            var parameters: [(name: ArraySlice<UInt8>, value: [UInt8])] = []
            while cursor.skip(0x20) {
                let parameter = name(&cursor)
                guard !parameter.isEmpty else { throw cursor.error("expected a parameter name") }
                guard cursor.skip(UInt8(ascii: "=")), cursor.skip(UInt8(ascii: "\"")) else {
                    throw cursor.error("expected =\" after a parameter name")
                }
                let value = try parameterValue(&cursor)
                if let existing = parameters.firstIndex(where: { $0.name.elementsEqual(parameter) }) {
                    parameters[existing].value = value
                } else {
                    parameters.append((parameter, value))
                }
            }
            guard cursor.skip(UInt8(ascii: "]")) else { throw cursor.error("expected ']' closing an SD element") }
            for (index, parameter) in parameters.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONString.append(parameter.name, to: &output)
                output.append(UInt8(ascii: ":"))
                JSONString.append(parameter.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// An SD-ID or a parameter name: printable ASCII except `=`, space, `]` and `"`.
    private static func name(_ cursor: inout LineCursor) -> ArraySlice<UInt8> {
        let start = cursor.index
        while let byte = cursor.peek, byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "="),
            byte != UInt8(ascii: "]"), byte != UInt8(ascii: "\"")
        {
            cursor.index += 1
        }
        return cursor.line[start..<cursor.index]
    }

    /// A parameter value after its opening quote, through the closing one: `\"`, `\\` and `\]`
    /// stand for the character; any other backslash is kept (RFC 5424 §6.3.3).
    private static func parameterValue(_ cursor: inout LineCursor) throws(LineParseError) -> [UInt8] {
        var value: [UInt8] = []
        while let byte = cursor.peek {
            cursor.index += 1
            switch byte {
            case UInt8(ascii: "\""): return value
            case UInt8(ascii: "\\"):
                if let next = cursor.peek,
                    next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") || next == UInt8(ascii: "]")
                {
                    value.append(next)
                    cursor.index += 1
                } else {
                    value.append(byte)
                }
            default: value.append(byte)
            }
        }
        throw cursor.error("unterminated parameter value")
    }

    private static let headerNames = [FieldName.hostname, FieldName.appname, FieldName.procid, FieldName.msgid]

    private static let facilityNames: [[UInt8]] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
        "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7",
    ].map(FieldName.quoted)

    private static let severityNames: [[UInt8]] = [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ].map(FieldName.quoted)
}
