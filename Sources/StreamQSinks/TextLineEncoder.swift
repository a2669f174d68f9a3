import StreamQSQL

/// Turns result rows into the lines of a text file: CSV, JSON objects, or (JSON lines with a raw
/// column) each record's bytes as they were stored. A line depends on its row alone, so rows can
/// be encoded on several cores and the pieces written in order.
struct TextLineEncoder: Sendable {
    let format: SinkFormat
    /// The column whose text is the whole line (deliver's plain JSON lines).
    let rawColumn: Int?
    /// Each column's `"name":` prefix, for JSON objects.
    let jsonPrefixes: [[UInt8]]

    func appendLine(_ row: [SQLValue], to bytes: inout [UInt8]) {
        if format == .csv {
            RowText.appendCSVLine(row, to: &bytes)
        } else if let rawColumn {
            if !row[rawColumn].isNull { bytes += RowText.text(row[rawColumn]).utf8 }
            bytes.append(UInt8(ascii: "\n"))
        } else {
            RowText.appendJSONLine(columns: jsonPrefixes, row: row, to: &bytes)
        }
    }
}
