import ArgumentParser
import StreamQSQL
import StreamQSinks
import Synchronization

/// Options of commands that write files (`query --into`, `deliver`).
struct SinkCommandOptions: ParsableArguments {
    @Option(help: "Write results as files: file:///dir/{query}/dt={dt}/hr={hr} (also INTO '…' in the query).") var into:
        String?
    @Option(
        help:
            "With --into: none (default), gzip or zstd for jsonl and csv files (Parquet compresses its pages with zstd)."
    )
    var compression: String = "none"
    @Option(
        name: .customLong("roll-size"),
        help: "With --into: commit files once one holds this much (default 128MiB)."
    )
    var rollSize: String = "128MiB"
    @Option(
        name: .customLong("roll-interval"),
        help: "With --into: commit files once the oldest is this old (default 300s)."
    )
    var rollInterval: String = "300s"
    @Option(
        name: .customLong("roll-inactivity"),
        help: "With --into: commit files after this long without rows (default 60s)."
    )
    var rollInactivity: String = "60s"
    @Option(name: .customLong("row-group-rows"), help: "With --format parquet: rows per row group (default 1000000).")
    var rowGroupRows: Int = 1_000_000

    func makeSink(
        url: String,
        format: String?,
        columns: [String],
        names: [String: String],
        timeColumn: String?,
        rawColumn: String? = nil,
        columnTypes: [ColumnType]? = nil
    ) throws -> FileSink {
        guard let fileFormat = SinkFormat(rawValue: format ?? "jsonl") else {
            throw CommandFailure("--format with --into must be jsonl, csv or parquet, got '\(format ?? "")'")
        }
        guard let compression = SinkCompression(rawValue: compression) else {
            throw CommandFailure("--compression must be none, gzip or zstd, got '\(compression)'")
        }
        var options = FileSink.Options(format: fileFormat, compression: compression)
        options.rollBytes = try byteCount(rollSize, option: "--roll-size")
        options.rollAge = try milliseconds(rollInterval, option: "--roll-interval")
        options.inactivity = try milliseconds(rollInactivity, option: "--roll-inactivity")
        guard rowGroupRows > 0 else { throw CommandFailure("--row-group-rows must be positive") }
        options.rowGroupRows = rowGroupRows
        do {
            return FileSink(
                destination: try SinkDestination(url: url),
                columns: columns,
                options: options,
                names: names,
                timeColumn: timeColumn,
                rawColumn: rawColumn,
                columnTypes: columnTypes
            )
        } catch {
            throw CommandFailure(error.message)
        }
    }
}

/// A duration option in milliseconds (`500ms`, `30s`, `5m`).
func milliseconds(_ text: String, option: String) throws -> Int64 {
    let (seconds, attoseconds) = try parseDuration(text).components
    let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    guard milliseconds > 0 else { throw CommandFailure("\(option) must be positive") }
    return milliseconds
}

/// A size option: `64MiB`, `1GiB`, `500KiB` or bytes.
func byteCount(_ text: String, option: String) throws -> Int {
    let units: [(String, Int)] = [
        ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000),
        ("B", 1),
    ]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        if let value = Int(text.dropLast(suffix.count)), value > 0 { return value * scale }
    }
    if let value = Int(text), value > 0 { return value }
    throw CommandFailure("\(option) must be a size such as 64MiB, got '\(text)'")
}

/// A file sink shared by the tasks of a bounded query.
final class LockedSink: Sendable {
    private let lock = Mutex(())
    private let sink: FileSink

    init(_ sink: FileSink) { self.sink = sink }

    func withSink<T>(_ body: (FileSink) throws -> T) throws -> T { try lock.withLock { _ in try body(sink) } }
}
