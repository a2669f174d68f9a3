/// How `streamq ship` reads fields out of a line. Every parser's output becomes one JSON record
/// (see ``RecordEncoder``); a line a parser rejects is still shipped, with `_parse_error`.
public enum LineParser: String, Sendable, CaseIterable {
    /// No fields: the record holds the line as `message`.
    case none
    /// Newline-delimited JSON: each line one JSON object, whose fields are kept as they are.
    case json
    /// `key=value key2="quoted value" flag` pairs; values become JSON strings, bare keys `true`.
    case logfmt

    /// The fields of `line`, in the order the line has them.
    func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        switch self {
        case .none: return []
        case .json: return try JSONObjectScanner.fields(of: line)
        case .logfmt: return try LogfmtScanner.fields(of: line)
        }
    }
}

/// One field of a parsed line: its name as a quoted JSON string and its value as JSON text, both
/// ready to be copied into a record.
struct ParsedField: Sendable, Equatable {
    var quotedName: [UInt8]
    var value: [UInt8]
}

/// Why a line did not parse, with the byte where the parser gave up.
struct LineParseError: Error, Sendable, Equatable {
    var message: String

    init(_ message: String, at index: Int? = nil) {
        self.message = index.map { "\(message) at byte \($0)" } ?? message
    }
}
