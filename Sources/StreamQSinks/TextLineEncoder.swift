import Dispatch
import FoundationEssentials
import StreamQSQL
import Synchronization

/// Turns result rows into the lines of a text file: CSV, JSON objects, or (JSON lines with a raw
/// column) each record's bytes as they were stored. A line depends on its row alone, so rows can
/// be encoded on several cores and the pieces written in order.
public struct TextLineEncoder: Sendable {
    let format: SinkFormat
    /// The column whose text is the whole line (deliver's plain JSON lines).
    let rawColumn: Int?
    /// Each column's `"name":` prefix, for JSON objects.
    let jsonPrefixes: [[UInt8]]

    init(format: SinkFormat, rawColumn: Int?, jsonPrefixes: [[UInt8]]) {
        self.format = format
        self.rawColumn = rawColumn
        self.jsonPrefixes = jsonPrefixes
    }

    /// Lines of `format` (JSON lines or CSV, without its header) for rows with `columns`.
    public init(format: SinkFormat, columns: [String]) {
        self.init(format: format, rawColumn: nil, jsonPrefixes: RowText.jsonPrefixes(columns))
    }

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

    /// The lines of `rows`, in order, in pieces encoded on every core at once (one piece when there
    /// are too few rows for the hand-over to pay).
    public func lines(of rows: ArraySlice<[SQLValue]>) -> [[UInt8]] {
        let parts = rows.count < 4096 ? 1 : ProcessInfo.processInfo.activeProcessorCount
        let pieces = Mutex([[UInt8]](repeating: [], count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            // Each part its own copy of the column prefixes: retaining buffers that every core
            // shares made their reference counts bounce between cores (a sixth of a HOP query).
            let encoder = parts == 1 ? self : privateCopy()
            var bytes: [UInt8] = []
            let start = rows.startIndex
            for row in rows[(start + rows.count * part / parts)..<(start + rows.count * (part + 1) / parts)] {
                encoder.appendLine(row, to: &bytes)
            }
            pieces.withLock { $0[part] = bytes }
        }
        return pieces.withLock { $0 }
    }

    /// The same encoder with buffers of its own.
    private func privateCopy() -> TextLineEncoder {
        TextLineEncoder(
            format: format,
            rawColumn: rawColumn,
            jsonPrefixes: jsonPrefixes.map { prefix in prefix.withUnsafeBufferPointer { Array($0) } }
        )
    }
}
