/// `--parser 'regex:<pattern>'`: a Swift regular expression whose named groups (`(?<status>\d+)`)
/// become string fields, in the order of the groups. The pattern is searched for anywhere in the
/// line (anchor it with `^…$` to match whole lines); a group that took no part in the match is left
/// out, and a line it does not match is shipped with `_parse_error`.
public struct RegexFieldPattern: @unchecked Sendable {
    // `Regex<AnyRegexOutput>` is not declared Sendable, but a compiled regex is an immutable value
    // that matching never changes, so sharing it between tasks is safe.
    private let regex: Regex<AnyRegexOutput>
    private let names: [String: [UInt8]]
    public let pattern: String

    public init(_ pattern: String) throws(LineParserError) {
        self.pattern = pattern
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw LineParserError("regex '\(pattern)' is not a valid pattern: \(error)")
        }
        var names: [String: [UInt8]] = [:]
        for name in Self.groupNames(in: pattern) where regex.contains(captureNamed: name) {
            names[name] = FieldName.quoted(name)
        }
        guard !names.isEmpty else {
            throw LineParserError("regex '\(pattern)' has no named group such as (?<status>\\d+)")
        }
        self.regex = regex
        self.names = names
    }

    func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        let text = String(decoding: line, as: UTF8.self)
        let found: Regex<AnyRegexOutput>.Match?
        do {
            found = try regex.firstMatch(in: text)
        } catch {
            throw LineParseError("the regex failed: \(error)")
        }
        guard let match = found else { throw LineParseError("the regex does not match") }
        var fields: [ParsedField] = []
        fields.reserveCapacity(names.count)
        for capture in match.output {
            guard let name = capture.name, let quoted = names[name], let value = capture.substring else { continue }
            fields.append(.string(quoted, value.utf8))
        }
        return fields
    }

    /// The names written as `(?<name>`, `(?'name'` or `(?P<name>` in a pattern.
    private static func groupNames(in pattern: String) -> [String] {
        var names: [String] = []
        let bytes = Array(pattern.utf8)
        var index = 0
        while index + 3 < bytes.count {
            defer { index += 1 }
            guard bytes[index] == UInt8(ascii: "("), bytes[index + 1] == UInt8(ascii: "?"),
                index == 0 || bytes[index - 1] != UInt8(ascii: "\\")
            else { continue }
            var start = index + 2
            if bytes[start] == UInt8(ascii: "P") { start += 1 }
            guard start < bytes.count else { continue }
            let close: UInt8
            switch bytes[start] {
            case UInt8(ascii: "<"): close = UInt8(ascii: ">")
            case UInt8(ascii: "'"): close = UInt8(ascii: "'")
            default: continue
            }
            guard let end = bytes[(start + 1)...].firstIndex(of: close), end > start + 1 else { continue }
            names.append(String(decoding: bytes[(start + 1)..<end], as: UTF8.self))
        }
        return names
    }
}
