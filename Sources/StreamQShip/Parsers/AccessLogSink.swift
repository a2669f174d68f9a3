import StreamQJSON

/// The fields of an access-log line (see ``AccessLogScanner``).
enum AccessLogField {
    case client, ident, user, time, method, path, `protocol`, request, status, bytes, referer, agent

    /// The field's name as a quoted JSON string: ``memberStart`` without its colon.
    var quotedName: [UInt8] {
        let member = memberStart
        return Array(UnsafeBufferPointer(start: member.utf8Start, count: member.utf8CodeUnitCount - 1))
    }

    /// `"name":`, the start of the field's member in a JSON object, without an array to hold it.
    var memberStart: StaticString {
        switch self {
        case .client: #""client":"#
        case .ident: #""ident":"#
        case .user: #""user":"#
        case .time: #""time":"#
        case .method: #""method":"#
        case .path: #""path":"#
        case .protocol: #""protocol":"#
        case .request: #""request":"#
        case .status: #""status":"#
        case .bytes: #""bytes":"#
        case .referer: #""referer":"#
        case .agent: #""agent":"#
        }
    }
}

/// What ``AccessLogScanner`` hands the fields it reads to.
protocol AccessLogSink {
    /// A field whose value is `text` as a JSON string.
    mutating func string(_ field: AccessLogField, _ text: ArraySlice<UInt8>)
    /// A field whose value is `digits`, already checked to be a JSON number.
    mutating func number(_ field: AccessLogField, digits: ArraySlice<UInt8>)
    mutating func number(_ field: AccessLogField, _ value: Int)
    mutating func time(_ field: AccessLogField, _ time: EventTime)
}

extension Array: AccessLogSink where Element == ParsedField {
    mutating func string(_ field: AccessLogField, _ text: ArraySlice<UInt8>) {
        append(.string(field.quotedName, text))
    }

    mutating func number(_ field: AccessLogField, digits: ArraySlice<UInt8>) {
        append(.number(field.quotedName, digits: digits))
    }

    mutating func number(_ field: AccessLogField, _ value: Int) {
        append(.number(field.quotedName, value))
    }

    mutating func time(_ field: AccessLogField, _ time: EventTime) {
        append(.time(field.quotedName, time))
    }
}

/// Writes each field as a member of the JSON object being built in ``output``: `"name":value,`.
struct JSONMemberWriter: AccessLogSink {
    var output: [UInt8]

    mutating func string(_ field: AccessLogField, _ text: ArraySlice<UInt8>) {
        start(field)
        JSONString.append(text, to: &output)
        output.append(UInt8(ascii: ","))
    }

    mutating func number(_ field: AccessLogField, digits: ArraySlice<UInt8>) {
        start(field)
        output.append(contentsOf: digits)
        output.append(UInt8(ascii: ","))
    }

    mutating func number(_ field: AccessLogField, _ value: Int) {
        start(field)
        RecordEncoder.appendDecimal(value, to: &output)
        output.append(UInt8(ascii: ","))
    }

    mutating func time(_ field: AccessLogField, _ time: EventTime) {
        start(field)
        time.appendQuotedRFC3339(to: &output)
        output.append(UInt8(ascii: ","))
    }

    private mutating func start(_ field: AccessLogField) {
        let name = field.memberStart
        output.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }
}
