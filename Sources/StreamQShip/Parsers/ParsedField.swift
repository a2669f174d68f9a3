import StreamQJSON

/// One field of a parsed line: its name as a quoted JSON string and its value as JSON text, both
/// ready to be copied into a record.
struct ParsedField: Sendable, Equatable {
    var quotedName: [UInt8]
    var value: [UInt8]

    /// A field whose value is `text` as a JSON string.
    static func string(_ quotedName: [UInt8], _ text: some Collection<UInt8>) -> ParsedField {
        var value: [UInt8] = []
        value.reserveCapacity(text.count + 2)
        JSONString.append(text, to: &value)
        return ParsedField(quotedName: quotedName, value: value)
    }

    /// A field whose value is `digits`, already checked to be a JSON number.
    static func number(_ quotedName: [UInt8], digits: some Collection<UInt8>) -> ParsedField {
        ParsedField(quotedName: quotedName, value: Array(digits))
    }

    static func number(_ quotedName: [UInt8], _ value: Int) -> ParsedField {
        ParsedField(quotedName: quotedName, value: Array(String(value).utf8))
    }

    static func time(_ quotedName: [UInt8], _ time: EventTime) -> ParsedField {
        var value: [UInt8] = []
        value.reserveCapacity(32)
        time.appendQuotedRFC3339(to: &value)
        return ParsedField(quotedName: quotedName, value: value)
    }
}

/// The quoted names of the fields the built-in parsers produce, made once.
enum FieldName {
    static let time = quoted("time")
    static let message = quoted("message")
    static let facility = quoted("facility")
    static let severity = quoted("severity")
    static let hostname = quoted("hostname")
    static let appname = quoted("appname")
    static let procid = quoted("procid")
    static let msgid = quoted("msgid")
    static let structuredData = quoted("structured_data")
    static let client = quoted("client")
    static let clientPort = quoted("client_port")
    static let request = quoted("request")
    static let referer = quoted("referer")
    static let level = quoted("level")
    static let module = quoted("module")
    static let pid = quoted("pid")
    static let tid = quoted("tid")
    static let connection = quoted("connection")
    static let httpHost = quoted("http_host")

    static func quoted(_ name: String) -> [UInt8] {
        var output: [UInt8] = []
        JSONString.append(name.utf8, to: &output)
        return output
    }
}
