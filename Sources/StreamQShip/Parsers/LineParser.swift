import StreamQJSON

/// How `streamq ship` reads fields out of a line, and which of them is the event time. Every
/// parser's output becomes one JSON record (see ``RecordEncoder``); a line a parser rejects is
/// still shipped, with `_parse_error`.
public struct LineParser: Sendable {
    /// The line formats `--parser` knows.
    public enum Format: Sendable {
        /// No fields: the record holds the line as `message`.
        case none
        /// Newline-delimited JSON: each line one JSON object, whose fields are kept as they are.
        case json
        /// `key=value key2="quoted value" flag` pairs; values become JSON strings, bare keys `true`.
        case logfmt
        /// RFC 3164 (with or without the priority) and RFC 5424 syslog lines.
        case syslog
        /// nginx access lines (common and combined) and error lines.
        case nginx
        /// Apache access lines (common and combined) and error lines (2.2 and 2.4).
        case apache
        /// The named groups of a regular expression.
        case regex(RegexFieldPattern)
    }

    public let format: Format
    /// `format` without its payload, which is what ``RecordEncoder`` asks of every line: copying
    /// `format` itself goes through a regex's value witnesses.
    let kind: Kind
    /// Which field holds the event time, and how it is written; without one, the syslog, nginx and
    /// apache parsers give their own timestamp as `time`, and the others no time.
    public var eventTime: EventTimeRule?
    /// Seconds since 1970 now: years left out of syslog lines and time formats are the ones
    /// latest that is not more than a day ahead of it, and an RFC 5424 line without a timestamp is given it.
    public var now: @Sendable () -> Int64 = EventTime.currentUnixSeconds

    public init(_ format: Format, eventTime: EventTimeRule? = nil) {
        self.format = format
        self.eventTime = eventTime
        kind =
            switch format {
            case .none: .none
            case .nginx: .nginx
            case .apache: .apache
            default: .other
            }
    }

    enum Kind {
        case none
        case nginx
        case apache
        /// Any other format.
        case other
    }

    /// The names `--parser` accepts, for help and error messages.
    public static let names = "none, json, logfmt, syslog, nginx, apache or regex:<pattern with named groups>"

    /// A parser by its `--parser` name: `none`, `json`, `logfmt`, `syslog`, `nginx`, `apache` or
    /// `regex:<pattern>`.
    public init(named name: String) throws(LineParserError) {
        switch name {
        case "none": self.init(.none)
        case "json": self.init(.json)
        case "logfmt": self.init(.logfmt)
        case "syslog": self.init(.syslog)
        case "nginx": self.init(.nginx)
        case "apache": self.init(.apache)
        case _ where name.hasPrefix("regex:"):
            self.init(.regex(try RegexFieldPattern(String(name.dropFirst("regex:".count)))))
        default: throw LineParserError("must be \(Self.names), got '\(name)'")
        }
    }

    public static let none = LineParser(.none)
    public static let json = LineParser(.json)
    public static let logfmt = LineParser(.logfmt)
    public static let syslog = LineParser(.syslog)
    public static let nginx = LineParser(.nginx)
    public static let apache = LineParser(.apache)

    /// The fields of `line`, in the order the line has them.
    func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        switch format {
        case .none: return []
        case .json: return try JSONObjectScanner.fields(of: line)
        case .logfmt: return try LogfmtScanner.fields(of: line)
        case .syslog: return try SyslogScanner.fields(of: line, now: now())
        case .nginx:
            if NginxErrorLogScanner.matches(line) { return try NginxErrorLogScanner.fields(of: line) }
            return try AccessLogScanner.fields(of: line)
        case .apache:
            if line.first == UInt8(ascii: "[") { return try ApacheErrorLogScanner.fields(of: line) }
            return try AccessLogScanner.fields(of: line)
        case .regex(let pattern): return try pattern.fields(of: line)
        }
    }

    /// Whether the `nginx` or `apache` parser reads `line` as an access-log line (see
    /// ``AccessLogScanner``) rather than an error-log line.
    func isAccessLogLine(_ line: ArraySlice<UInt8>) -> Bool {
        switch kind {
        case .nginx: !NginxErrorLogScanner.matches(line)
        case .apache: line.first != UInt8(ascii: "[")
        case .none, .other: false
        }
    }
}

/// `--time-field NAME [--time-format FMT]`: the parsed field that holds the event time. The record
/// gets it as `time`, in RFC 3339 UTC; a field named `time` that is not the event time is kept as
/// `_time`. When the field is missing or does not read as a time, the line is shipped with
/// `_time_error` and counted as not parsed.
public struct EventTimeRule: Sendable {
    public var field: String
    public var format: TimeFormat
    let quotedField: [UInt8]

    public init(field: String, format: TimeFormat) {
        self.field = field
        self.format = format
        quotedField = FieldName.quoted(field)
    }
}

/// A `--parser` that cannot be used, and why.
public struct LineParserError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Why a line did not parse, with the byte where the parser gave up.
struct LineParseError: Error, Sendable, Equatable {
    var message: String

    init(_ message: String, at index: Int? = nil) {
        self.message = index.map { "\(message) at byte \($0)" } ?? message
    }
}

extension EventTimeRule {
    /// The event time in the field the rule names among `fields`.
    func time(in fields: [ParsedField], now: () -> Int64) throws(LineParseError) -> EventTime {
        guard let source = fields.first(where: { $0.quotedName == quotedField }) else {
            throw LineParseError("no time field '\(field)'")
        }
        var text = source.value[...]
        if text.first == UInt8(ascii: "\"") {
            text = text.dropFirst().dropLast()
            if text.contains(UInt8(ascii: "\\")) {
                let raw = text
                let decoded = raw.withUnsafeBytes { bytes in try? JSONFieldLookup.decodeString(bytes) }
                guard let decoded else { throw LineParseError("time field '\(field)' has a bad escape") }
                text = decoded[...]
            }
        } else if text.first != UInt8(ascii: "-"), text.first.map({ $0 &- 0x30 < 10 }) != true {
            throw LineParseError("time field '\(field)' is neither a string nor a number")
        }
        do throws(LineParseError) {
            return try format.parse(text, now: now())
        } catch {
            throw LineParseError("time field '\(field)' does not match \(format): \(error.message)")
        }
    }
}
