import ArgumentParser
import FoundationEssentials
import StreamQClient
import StreamQSQL
import StreamQSinks
import StreamQStorage

/// `streamq deliver`: Firehose-style continuous delivery of a stream's records into files.
struct Deliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract:
            "Deliver a stream's records into files (JSON lines, CSV or Parquet), exactly once, resuming from the last commit.",
        discussion: """
            Files are published complete (hidden while written, fsynced, renamed) and listed in DEST/_manifest/ with the \
            stream positions they cover; a restarted deliver continues after the last commit, so no record is \
            duplicated or lost. Partitions {dt}/{hr} come from each record's arrival time (stored, so replays land \
            in the same place).

            Example:
              streamq deliver access --format parquet \\
                --into 'file:///data/access/dt={dt}/hr={hr}'
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The stream.") var stream: String
    @Option(help: "jsonl (default: each record's bytes as a line), csv or parquet (columns from --schema or a sample).")
    var format: String = "jsonl"
    @Flag(help: "With jsonl: wrap each record with its shard, sequence number, partition key and arrival time.")
    var metadata = false
    @Option(
        help:
            "For csv and parquet: the columns, such as 'ts BIGINT, host VARCHAR, latency_ms DOUBLE' (default: inferred from 1,000 records)."
    )
    var schema: String?
    @Option(name: .customLong("buffer-size"), help: "Commit files once one holds this much (default 64MiB).")
    var bufferSize: String = "64MiB"
    @Option(
        name: .customLong("buffer-interval"),
        help: "Commit files at least this often while records arrive (default 60s)."
    )
    var bufferInterval: String = "60s"
    @Option(help: "Where to start the first time: trim-horizon (default) or latest.") var from: String = "trim-horizon"
    @Flag(help: "Deliver what is stored now, commit and exit, instead of following the stream.") var once = false
    @OptionGroup var sinkOptions: SinkCommandOptions

    func run() async throws {
        let name = try streamName(stream)
        guard let into = sinkOptions.into else {
            throw CommandFailure("deliver needs --into file:///dir/… or s3://bucket/prefix/…")
        }
        let defaults = try SinkCommandOptions.parse([])
        guard sinkOptions.rollSize == defaults.rollSize, sinkOptions.rollInterval == defaults.rollInterval,
            sinkOptions.rollInactivity == defaults.rollInactivity
        else { throw CommandFailure("deliver rolls files by --buffer-size and --buffer-interval, not --roll-*") }
        let start: StartingPosition
        switch from {
        case "trim-horizon": start = .trimHorizon
        case "latest": start = .latest
        default: throw CommandFailure("--from must be trim-horizon or latest")
        }
        try await sinkOptions.withStorage(url: into, store: store) { destination, storage in
            try await deliver(name, into: destination, storage: storage, start: start)
        }
    }

    private func deliver(
        _ name: StreamName,
        into destination: SinkDestination,
        storage: any SinkStorage,
        start: StartingPosition
    ) async throws {
        // A destination that already has commits keeps its columns: a fresh sample could differ
        // (retention moved the oldest records on) and the saved progress belongs to the old query.
        let last: (state: [UInt8]?, columnTypes: [ColumnType]?)?
        do {
            last = schema == nil && format != "jsonl" ? try await FileSink.lastCommit(in: storage) : nil
        } catch let error as SinkError {
            throw CommandFailure(error.message)
        }
        try await store.withBackend(mode: .readOnly) { store in
            var (sql, rawColumn, types) = try await query(
                for: name,
                store: store,
                withShard: destination.uses("shard")
            )
            if let last, let state = last.state, let savedSQL = FollowQueryRunner.queryText(ofSavedState: state) {
                sql = savedSQL
                types = last.columnTypes
            }
            let plan: QueryPlan
            do {
                plan = try QueryPlanner.plan(sql)
            } catch let error as SQLError {
                throw CommandFailure("the column list does not make a valid query: \(error.rendered(in: sql))")
            }
            var sinkOptions = self.sinkOptions
            sinkOptions.rollSize = bufferSize
            sinkOptions.rollInterval = bufferInterval
            sinkOptions.rollInactivity = bufferInterval
            let sink = try sinkOptions.makeSink(
                destination: destination,
                storage: storage,
                format: format,
                columns: plan.columns,
                names: ["stream": name.rawValue, "query": name.rawValue],
                timeColumn: metadata ? "arrival" : "_arrival",
                rawColumn: rawColumn,
                columnTypes: types
            )
            let output = FileSinkOutput(sink: sink)
            let runner = FollowQueryRunner(
                plan: plan,
                backend: store,
                stream: name,
                start: start,
                stopWhenCaughtUp: once,
                parallelism: ProcessInfo.processInfo.activeProcessorCount
            )
            // Records that never became rows are committed to _errors/ with the files.
            let statistics = try await runner.runUntilStopped(
                output: output,
                reportErrors: { errors in errors.forEach(sink.reject) }
            )
            StandardStreams.writeError(
                "delivered \(sink.statistics.rows) records in \(sink.statistics.files) files under \(sink.destination.root)"
                    + " (\(statistics.rowsIn) records read since the first run)"
                    + (sink.statistics.errors > 0
                        ? "; \(sink.statistics.errors) could not be written (see _errors/)" : "") + "\n"
            )
        }
    }

    /// The query that turns records into rows, the raw column for plain JSON lines, and the
    /// column types (from --schema or a sample) so every Parquet file has the same schema.
    private func query(
        for name: StreamName,
        store: any StreamBackend,
        withShard: Bool
    ) async throws -> (String, String?, [ColumnType]?) {
        let source = "\"\(name.rawValue)\""
        if format == "jsonl" {
            if metadata {
                return (
                    "SELECT _shard AS shard, _sequence AS sequence_number, _partition_key AS partition_key, _arrival AS arrival, _raw AS data FROM \(source)",
                    nil, nil
                )
            }
            return ("SELECT _raw, _arrival\(withShard ? ", _shard" : "") FROM \(source)", "_raw", nil)
        }
        var columns: [String]
        var types: [ColumnType]
        if let schema {
            columns = try schema.split(separator: ",").map { column in
                let parts = column.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard parts.count == 2 else { throw CommandFailure("--schema wants 'name TYPE, …', got '\(column)'") }
                return "CAST(\"\(parts[0])\" AS \(parts[1])) AS \"\(parts[0])\""
            }
            types = schema.split(separator: ",").map { column in
                ColumnType(sqlTypes: String(column.split(separator: " ", omittingEmptySubsequences: true).last ?? ""))
            }
        } else {
            let sample = try await SchemaInference.sample(store, stream: name)
            // Times written as text (ISO-8601) are sampled as TIMESTAMP: read them as times, so the
            // rows fit the column the Parquet schema gives them.
            columns = sample.fields.map { field in
                field.type == "TIMESTAMP"
                    ? "CAST(\"\(field.name)\" AS TIMESTAMP) AS \"\(field.name)\"" : "\"\(field.name)\""
            }
            types = sample.fields.map { ColumnType(sqlTypes: $0.type) }
            guard !columns.isEmpty else {
                throw CommandFailure("no JSON fields in \(name.rawValue) to infer columns from; give --schema")
            }
        }
        return (
            "SELECT "
                + (columns + ["_arrival AS _arrival"] + (withShard ? ["_shard AS _shard"] : [])).joined(separator: ", ")
                + " FROM \(source)", nil,
            types + [.timestamp] + (withShard ? [.varchar] : [])
        )
    }
}
