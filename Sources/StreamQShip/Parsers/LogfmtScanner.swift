import StreamQJSON

/// Splits a logfmt line (`at=info path="/a b" status=200 cached`) into fields. Values become JSON
/// strings (logfmt has no types), a bare key becomes `true`, and a key seen twice keeps its last
/// value at its first place. A line without any `key=value` pair, an empty key or an unterminated
/// quote is an error.
enum LogfmtScanner {
    static func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        var fields: [ParsedField] = []
        // Keys seen twice are found by a scan while a line has few fields, and by a table
        // (built once) on lines with many, which would make the scan quadratic.
        var positions: [[UInt8]: Int]?
        var pairs = 0
        var index = line.startIndex
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while index < line.endIndex {
            while index < line.endIndex, isSpace(line[index]) { index += 1 }
            guard index < line.endIndex else { break }
            let keyStart = index
            while index < line.endIndex, !isSpace(line[index]), line[index] != UInt8(ascii: "=") {
                guard line[index] != UInt8(ascii: "\"") else {
                    throw LineParseError("quote in a key", at: index - line.startIndex)
                }
                index += 1
            }
            guard index > keyStart else { throw LineParseError("empty key", at: index - line.startIndex) }
            var name: [UInt8] = []
            JSONString.append(line[keyStart..<index], to: &name)
            var value: [UInt8] = []
            if index < line.endIndex, line[index] == UInt8(ascii: "=") {
                index += 1
                pairs += 1
                if index < line.endIndex, line[index] == UInt8(ascii: "\"") {
                    let (text, end) = try quoted(line, from: index)
                    JSONString.append(text, to: &value)
                    index = end
                } else {
                    let start = index
                    while index < line.endIndex, !isSpace(line[index]) { index += 1 }
                    JSONString.append(line[start..<index], to: &value)
                }
            } else {
                value = Array("true".utf8)
            }
            if positions == nil, fields.count >= 16 {
                positions = Dictionary(fields.enumerated().map { ($1.quotedName, $0) }) { first, _ in first }
            }
            let position: Int?
            if let positions {
                position = positions[name]
            } else {
                position = fields.firstIndex { $0.quotedName == name }
            }
            if let position {
                fields[position].value = value
            } else {
                positions?[name] = fields.count
                fields.append(ParsedField(quotedName: name, value: value))
            }
        }
        guard pairs > 0 else { throw LineParseError("no key=value pair") }
        return fields
    }

    /// The text of the quoted value starting at `start` (its opening quote), unescaped, and the
    /// index just past its closing quote.
    private static func quoted(
        _ line: ArraySlice<UInt8>,
        from start: Int
    ) throws(LineParseError) -> ([UInt8], Int) {
        var text: [UInt8] = []
        var index = start + 1
        while index < line.endIndex {
            let byte = line[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return (text, index) }
            guard byte == UInt8(ascii: "\\"), index < line.endIndex else {
                text.append(byte)
                continue
            }
            let escaped = line[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): text.append(escaped)
            default: text.append(contentsOf: [byte, escaped])
            }
        }
        throw LineParseError("unterminated quoted value", at: start - line.startIndex)
    }
}
