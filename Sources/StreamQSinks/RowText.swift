import StreamQJSON
import StreamQSQL

/// Result values as JSON and CSV text: shared by the CLI's output and the file sinks, so a file
/// holds exactly what `streamq query --format jsonl|csv` prints.
public enum RowText {
    /// Appends `{"column":value,…}\n`.
    public static func appendJSONLine(columns prefixes: [[UInt8]], row: [SQLValue], to bytes: inout [UInt8]) {
        for column in 0..<min(prefixes.count, row.count) {
            prefixes[column].withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
            appendJSON(row[column], to: &bytes)
        }
        if row.isEmpty { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `{"a":` and `,"b":` for each column, computed once per output.
    public static func jsonPrefixes(_ columns: [String]) -> [[UInt8]] {
        columns.enumerated().map { index, column in
            var prefix: [UInt8] = [index == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            JSONString.append(column.utf8, to: &prefix)
            prefix.append(UInt8(ascii: ":"))
            return prefix
        }
    }

    public static func appendJSON(_ value: SQLValue, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .boolean(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): bytes.append(contentsOf: String(number).utf8)
        case .double(let number): bytes.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case .string(let text): JSONString.append(text.utf8, to: &bytes)
        case .timestamp(let ms): JSONString.append(EventTime.iso8601(ms).utf8, to: &bytes)
        case .interval(let ms): bytes.append(contentsOf: String(ms).utf8)
        case .json(let text): bytes.append(contentsOf: text.utf8)
        }
    }

    /// The value as text: what a table or CSV cell shows (timestamps in ISO 8601).
    public static func text(_ value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .timestamp(let ms): EventTime.iso8601(ms)
        default: value.description
        }
    }

    /// Appends a CSV row with CRLF (NULL is an empty field), without building a String per line.
    public static func appendCSVLine(_ row: [SQLValue], to bytes: inout [UInt8]) {
        for (index, value) in row.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            switch value {
            case .null: continue
            case .integer(let number): bytes.append(contentsOf: String(number).utf8)
            default:
                let text = self.text(value)
                let needsQuotes = text.utf8.contains {
                    $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D
                }
                if needsQuotes {
                    bytes.append(UInt8(ascii: "\""))
                    for byte in text.utf8 {
                        if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                        bytes.append(byte)
                    }
                    bytes.append(UInt8(ascii: "\""))
                } else {
                    bytes.append(contentsOf: text.utf8)
                }
            }
        }
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    /// The CSV header line for `columns` (quoted by the same rules as the rows).
    public static func csvHeader(_ columns: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        appendCSVLine(columns.map(SQLValue.string), to: &bytes)
        return bytes
    }
}
