import StreamQJSON
import StreamQSQL
import StreamQSinks
import StreamQStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes result rows to stdout as they come, from any task: JSON lines and CSV stream, a table
/// is drawn at the end (its column widths need every row).
final class ResultWriter: Sendable {
    private struct State {
        var output = OutputBuffer()
        var tableRows: [[SQLValue]] = []
        var wroteHeader = false
        var flushedFirstRows = false
    }

    let columns: [String]
    let format: String
    /// Rows keep coming (follow mode): a table is drawn per batch instead of once at the end.
    let streaming: Bool
    private let state = Mutex(State())

    init(columns: [String], format: String, streaming: Bool = false) {
        self.columns = columns
        self.format = format
        self.streaming = streaming
    }

    func write(_ rows: [[SQLValue]]) {
        state.withLock { state in
            switch format {
            case "table":
                if streaming {
                    let lines = TextTable.render(header: columns, rows: rows.map { $0.map(RowText.text) })
                    state.output.append(lines.joined(separator: "\n") + "\n")
                } else {
                    state.tableRows += rows
                }
                return
            case "csv":
                if !state.wroteHeader {
                    state.output.bytes += RowText.csvHeader(columns)
                    state.wroteHeader = true
                }
            default: break
            }
            ResultFormatter.write(
                ResultSet(columns: columns, rows: rows),
                format: format,
                to: &state.output,
                header: false
            )
            // The first rows go out at once (then in 64 KiB pieces): whoever reads them can start.
            if !state.flushedFirstRows {
                state.output.flush()
                state.flushedFirstRows = true
            }
        }
    }

    /// Writes what is buffered (follow mode calls this after every batch of emitted rows).
    func flush() { state.withLock { $0.output.flush() } }

    /// Draws the table (if that is the format) and flushes.
    func finish() {
        state.withLock { state in
            if format == "table" && !streaming {
                ResultFormatter.write(
                    ResultSet(columns: columns, rows: state.tableRows),
                    format: "table",
                    to: &state.output,
                    header: true
                )
            } else if format == "csv" && !state.wroteHeader {
                state.output.bytes += RowText.csvHeader(columns)
            }
            state.output.flush()
        }
    }
}

/// Where rows the query could not use go: a JSON-lines file when `--errors` names one (every row,
/// with its position and reason), and always a count and the first few on stderr.
final class ErrorReporter: Sendable {
    private struct State {
        var file: OutputFile?
        var shown = 0
        var count = 0
    }

    private let state: Mutex<State>

    init(path: String?) throws {
        state = Mutex(State(file: try path.map { try OutputFile(path: $0) }))
    }

    func report(_ errors: [RowError]) {
        guard !errors.isEmpty else { return }
        state.withLock { state in
            state.count += errors.count
            for error in errors {
                let position = error.position.map { "shard \($0.shard) sequence \($0.description)" } ?? "a result row"
                if state.file == nil, state.shown < 5 {
                    state.shown += 1
                    StandardStreams.writeError(
                        "streamq: \(error.kind == .late ? "late row" : "row") at \(position) skipped: \(error.message)\n"
                    )
                }
                if let file = state.file {
                    var line = "{\"kind\":\"\(error.kind.rawValue)\""
                    if let position = error.position {
                        line += ",\"shard\":\"\(position.shard)\",\"sequence_number\":\"\(position.description)\""
                    }
                    line += ",\"reason\":" + JSONString.quoted(error.message) + "}\n"
                    file.write(line)
                }
            }
        }
    }

    func finish() throws {
        try state.withLock { state in try state.file?.close() }
    }
}

/// An append-only output file.
struct OutputFile: @unchecked Sendable {
    private let descriptor: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CommandFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        StandardStreams.write(&bytes, to: descriptor)
    }

    func close() throws {
        guard fsync(descriptor) == 0, Glibc.close(descriptor) == 0 else {
            throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
