import FoundationEssentials
import StreamQJSON
import StreamQSQL
import StreamQStorage

/// Writes result rows into files that appear complete and exactly once.
///
/// Rows go to an open, hidden in-progress file per partition directory of the storage's staging
/// area. A commit finishes every open file (flush, fsync), publishes each under its final name
/// (`part-<commit>-<n>.<ext>`: a rename in a local directory, an upload to S3), and then writes a
/// manifest (`_manifest/<commit>.json`) listing the files and the caller's state (a follow query's
/// positions and windows). On restart, ``recover()`` deletes in-progress files and any file no
/// manifest lists, and returns the newest manifest's state: output resumes exactly after the last
/// commit, so no file is partial and no row is duplicated or lost.
///
/// Rows that cannot be written (a value that does not fit the Parquet column's type) go to
/// `_errors/part-<commit>.jsonl` with the reason, in the same commit.
///
/// Not thread-safe: one task at a time uses a sink (hence the unchecked `Sendable`, so it can be
/// handed to that task).
public final class FileSink: @unchecked Sendable {
    public struct Options: Sendable {
        public var format: SinkFormat = .jsonl
        public var compression: SinkCompression = .none
        /// A commit closes the files once any holds this many bytes (before compression).
        public var rollBytes = 128 << 20
        /// … or once the oldest open file is this old (ms).
        public var rollAge: Int64 = 300_000
        /// … or after this long (ms) without rows.
        public var inactivity: Int64 = 60_000
        /// Rows per Parquet row group (also capped at 64 MiB of values).
        public var rowGroupRows = 1_000_000
        /// Partitions with a file open at once (Firehose's default quota); rows for more go to the
        /// error output instead of exhausting file descriptors and memory.
        public var maxOpenPartitions = 500

        public init(format: SinkFormat = .jsonl, compression: SinkCompression = .none) {
            self.format = format
            self.compression = compression
        }
    }

    /// Counts since this sink was created.
    public struct Statistics: Sendable {
        public var files = 0
        public var rows = 0
        public var bytes = 0
        public var errors = 0
        public var commits = 0
    }

    public let destination: SinkDestination
    /// Where committed files go.
    public let storage: any SinkStorage
    public let columns: [String]
    public let options: Options
    /// `{stream}` and `{query}` in the path template.
    public let names: [String: String]
    /// The column holding each row's partition time (`window_start`, or a record's arrival).
    let timeColumn: Int?
    /// When set, JSON-lines files hold this column's text as is (raw records), nothing else.
    let rawColumn: Int?
    /// The column holding each row's shard, for `{shard}` in the path.
    let shardColumn: Int?
    /// A row arrived for a partition newer than every open one: the next check rolls the files.
    private var partitionAdvanced = false
    public private(set) var statistics = Statistics()
    /// Parquet column types: given, or taken from the first rows the sink writes and kept for
    /// every later file (and across restarts, through the manifest), so all files share one schema.
    public private(set) var columnTypes: [ColumnType]?
    /// The next commit's number.
    public private(set) var nextCommit = 0

    private var open: [String: OpenFile] = [:]
    /// Files finished by ``roll()``, published by the next commit.
    private var finished: [(partition: String, file: OpenFile)] = []
    private var errorLines: [UInt8] = []
    private var errorCount = 0
    private var lastWrite: Int64 = 0
    private let jsonPrefixes: [[UInt8]]

    /// - Parameter storage: where committed files go; by default the destination's directory (an
    ///   `s3://` destination needs its object store given).
    public init(
        destination: SinkDestination,
        storage: (any SinkStorage)? = nil,
        columns: [String],
        options: Options,
        names: [String: String] = [:],
        timeColumn: String? = "window_start",
        rawColumn: String? = nil,
        columnTypes: [ColumnType]? = nil
    ) {
        self.columnTypes = columnTypes
        self.destination = destination
        self.storage = storage ?? LocalSinkStorage(directoryOf: destination)
        self.columns = columns
        self.options = options
        self.names = names
        self.timeColumn = timeColumn.flatMap { columns.firstIndex(of: $0) }
        self.rawColumn = rawColumn.flatMap { columns.firstIndex(of: $0) }
        shardColumn = columns.firstIndex(of: "_shard") ?? columns.firstIndex(of: "shard")
        jsonPrefixes = RowText.jsonPrefixes(columns)
    }

    /// Deletes what no manifest covers (in-progress files, files of an unfinished commit) and
    /// returns the state saved with the newest commit, or nil when there is none.
    public func recover() async throws -> [UInt8]? {
        var committed = Set<String>()
        var newest: SinkManifest?
        for name in try await storage.manifestNames() {
            let manifest = try SinkManifest.decode(
                try await storage.readManifest(name),
                name: name,
                origin: storage.location
            )
            committed.formUnion(manifest.files.map(\.path))
            if let errors = manifest.errorFile { committed.insert(errors) }
            newest = manifest
        }
        if columnTypes == nil, let saved = newest?.columnTypes, saved.count == columns.count { columnTypes = saved }
        try await storage.removeUncommitted(keeping: committed)
        nextCommit = (newest?.commit ?? -1) + 1
        return newest?.state.map { Array($0.utf8) }
    }

    /// The state and column types of the newest commit in `storage`, read without changing
    /// anything (nil when nothing was committed there).
    public static func lastCommit(
        in storage: any SinkStorage
    ) async throws -> (state: [UInt8]?, columnTypes: [ColumnType]?)? {
        guard let newest = try await storage.manifestNames().last else { return nil }
        let manifest = try SinkManifest.decode(
            try await storage.readManifest(newest),
            name: newest,
            origin: storage.location
        )
        return (manifest.state.map { Array($0.utf8) }, manifest.columnTypes)
    }

    /// Whether the manifest directory already holds commits (a finished run's output).
    public var hasCommits: Bool { nextCommit > 0 }

    /// Adds rows (values in column order) at wall-clock time `now` (ms).
    public func write(_ rows: [[SQLValue]], now: Int64) throws {
        guard !rows.isEmpty else { return }
        lastWrite = now
        // Group by partition, keeping row order within each.
        var byPartition: [(String, [[SQLValue]])] = []
        var index: [String: Int] = [:]
        var rowNames = names
        for row in rows {
            let time: Int64? = timeColumn.flatMap { column -> Int64? in
                if case .timestamp(let ms) = row[column] { return ms }
                return nil
            }
            if let shardColumn, case .string(let shard) = row[shardColumn] { rowNames["shard"] = shard }
            let partition = try destination.render(names: rowNames, time: time)
            if let position = index[partition] {
                byPartition[position].1.append(row)
            } else {
                index[partition] = byPartition.count
                byPartition.append((partition, [row]))
            }
        }
        for (partition, rows) in byPartition {
            if options.format == .parquet && columnTypes == nil {
                columnTypes = columns.indices.map { column in ColumnType.infer(rows.lazy.map { $0[column] }) }
            }
            if open[partition] == nil && open.count >= options.maxOpenPartitions {
                for row in rows {
                    recordError(
                        row,
                        reason:
                            "more than \(options.maxOpenPartitions) partitions open at once; not written to \(partition)"
                    )
                }
                continue
            }
            if open[partition] == nil {
                // A partition after every open one (the hour moved on): roll at the next check.
                if !open.isEmpty, open.keys.allSatisfy({ $0 < partition }) { partitionAdvanced = true }
                open[partition] = try OpenFile(sink: self, partition: partition, firstRows: rows, now: now)
            }
            let file = open[partition]!
            if options.format != .parquet {
                try file.appendLines(rows)
                statistics.rows += rows.count
                continue
            }
            for row in rows {
                if let problem = try file.append(row) {
                    recordError(row, reason: problem)
                } else {
                    statistics.rows += 1
                }
            }
        }
    }

    /// Sends a record that never became a row (not JSON, a failed cast) to the error output, with
    /// where it came from; it is committed with the next files.
    public func reject(_ error: RowError) {
        errorCount += 1
        statistics.errors += 1
        errorLines += Array(#"{"reason":"#.utf8)
        JSONString.append(error.message.utf8, to: &errorLines)
        if let position = error.position {
            errorLines += Array(#","shard":"#.utf8)
            JSONString.append(position.shard.description.utf8, to: &errorLines)
            errorLines += Array(#","sequence_number":"#.utf8)
            JSONString.append(position.description.utf8, to: &errorLines)
        }
        errorLines += Array("}\n".utf8)
    }

    private func recordError(_ row: [SQLValue], reason: String) {
        errorCount += 1
        statistics.errors += 1
        errorLines += Array(#"{"reason":"#.utf8)
        JSONString.append(reason.utf8, to: &errorLines)
        errorLines += Array(#","row":"#.utf8)
        RowText.appendJSONLine(columns: jsonPrefixes, row: row, to: &errorLines)
        errorLines.removeLast()  // the newline
        errorLines += Array("}\n".utf8)
    }

    /// Whether a roll is due: a file past the size, the oldest past the age, no rows for the
    /// inactivity time, or rows for a new, later partition. Call it on a timer, not only when rows
    /// arrive.
    public func shouldCommit(now: Int64) -> Bool {
        guard !open.isEmpty || errorCount > 0 else { return false }
        if partitionAdvanced { return true }
        if open.values.contains(where: { $0.uncompressedBytes >= options.rollBytes }) { return true }
        if let oldest = open.values.map(\.opened).min(), now - oldest >= options.rollAge { return true }
        return now - lastWrite >= options.inactivity
    }

    /// Whether any file is open (rows written since the last commit).
    public var hasOpenFiles: Bool { !open.isEmpty || !finished.isEmpty || errorCount > 0 }

    /// Finishes every open file without publishing it (the next commit does), so rows that follow
    /// go to new files: what a commit would do about file sizes, for a writer that commits once
    /// at its end.
    public func roll() throws {
        for partition in open.keys.sorted() {
            let file = open[partition]!
            try file.finish()
            finished.append((partition, file))
        }
        open = [:]
        partitionAdvanced = false
    }

    /// Finishes and publishes every open file (and those ``roll()`` finished), then the error
    /// output, then records them (and `state`) in a manifest.
    @discardableResult
    public func commit(state: [UInt8]?) async throws -> [String] {
        let commit = nextCommit
        try roll()
        var files: [SinkManifest.File] = []
        var staged: [StagedFile] = []
        for (number, (partition, file)) in finished.enumerated() {
            let name =
                "part-" + zeroPadded(commit, 8) + "-" + zeroPadded(number, 4) + "."
                + options.format.fileExtension(options.compression)
            let relative = partition.isEmpty ? name : partition + "/" + name
            staged.append(StagedFile(stagedPath: file.inProgressPath, path: relative))
            files.append(SinkManifest.File(path: relative, rows: file.rows, bytes: file.bytes))
        }
        try await storage.publish(staged)
        var errorFile: String?
        if errorCount > 0 {
            let relative = "_errors/part-" + zeroPadded(commit, 8) + ".jsonl"
            try await storage.publish(bytes: errorLines, as: relative)
            errorFile = relative
        }
        let manifest = SinkManifest(
            commit: commit,
            files: files,
            errorFile: errorFile,
            errors: errorCount,
            state: state.map { String(decoding: $0, as: UTF8.self) },
            columnTypes: columnTypes
        )
        try await storage.writeManifest(try manifest.encoded(), named: manifest.name)
        statistics.files += files.count
        statistics.bytes += files.reduce(0) { $0 + $1.bytes }
        finished = []
        errorLines = []
        errorCount = 0
        nextCommit += 1
        statistics.commits += 1
        return files.map(\.path)
    }
}

/// One file being written: hidden until its commit publishes it.
final class OpenFile {
    let inProgressPath: String
    let opened: Int64
    private(set) var rows = 0
    /// The file's size once finished.
    private(set) var bytes = 0
    private let text: CompressedFileWriter?
    private let parquet: ParquetWriter?
    private let format: SinkFormat
    private let lines: TextLineEncoder

    init(sink: FileSink, partition: String, firstRows: [[SQLValue]], now: Int64) throws {
        let staging = sink.storage.stagingDirectory
        let directory = partition.isEmpty ? staging : staging + "/" + partition
        try FileSystem.createDirectories(directory)
        inProgressPath = directory + "/.part-\(sink.nextCommit)-\(UInt32.random(in: 0...UInt32.max)).inprogress"
        opened = now
        format = sink.options.format
        lines = TextLineEncoder(
            format: sink.options.format,
            rawColumn: sink.rawColumn,
            jsonPrefixes: RowText.jsonPrefixes(sink.columns)
        )
        switch format {
        case .parquet:
            let types =
                sink.columnTypes
                ?? sink.columns.indices.map { column in ColumnType.infer(firstRows.lazy.map { $0[column] }) }
            parquet = try ParquetWriter(
                path: inProgressPath,
                columns: zip(sink.columns, types).map { ParquetWriter.Column(name: $0, type: $1) },
                rowGroupRows: sink.options.rowGroupRows
            )
            text = nil
        case .jsonl, .csv:
            text = try CompressedFileWriter(path: inProgressPath, compression: sink.options.compression)
            parquet = nil
            if format == .csv { try text!.write(RowText.csvHeader(sink.columns)) }
        }
    }

    var uncompressedBytes: Int { text?.uncompressedBytes ?? parquet?.approximateBytes ?? 0 }

    /// Appends a row, or returns why it cannot be written.
    func append(_ row: [SQLValue]) throws -> String? {
        switch format {
        case .parquet:
            for (column, value) in zip(parquet!.columns, row) where !column.type.accepts(value) {
                return
                    "column \(column.name) is \(column.type.rawValue.uppercased()) in this file; \(value) does not fit"
            }
            try parquet!.append(row)
        case .jsonl, .csv:
            var bytes: [UInt8] = []
            lines.appendLine(row, to: &bytes)
            try text!.write(bytes)
        }
        rows += 1
        return nil
    }

    /// Appends rows of a text format (every row fits), their lines encoded on all cores: a line
    /// depends on its row alone, and the pieces are written in order.
    func appendLines(_ rows: [[SQLValue]]) throws {
        for piece in lines.lines(of: rows[...]) { try text!.write(piece) }
        self.rows += rows.count
    }

    /// Completes the file (flush, fsync) and notes its size.
    func finish() throws {
        if let parquet {
            try parquet.finish()
            bytes = parquet.approximateBytes
        } else {
            try text!.finish()
            bytes = text!.fileBytes
        }
    }
}
