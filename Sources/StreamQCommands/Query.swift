import ArgumentParser
import FoundationEssentials
import StreamQJSON
import StreamQPipelines
import StreamQSQL
import StreamQSinks
import StreamQStorage

/// `streamq query`: run SQL over a stream's history, or continuously with `--follow`.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract:
            "Run a SQL query over a stream (bounded by default; --follow keeps running and emits windows as they close).",
        discussion: """
            Example:
              streamq query "SELECT window_start, status, count(*) AS n FROM access
                GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status
                ORDER BY window_start, status"

            Rows that cannot be evaluated (not JSON, no event time, a failed CAST) and late rows are counted, the \
            first ones reported on stderr, and all of them written to --errors FILE when given; the exit status \
            is then 3 so scripts notice.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The query.") var sql: String
    @Option(help: "table (default on a terminal), jsonl or csv; with --into: jsonl (default), csv or parquet.")
    var format: String?
    @OptionGroup var sinkOptions: SinkCommandOptions
    @Flag(help: "Print rows in and out, late rows, errors and elapsed time on stderr.") var stats = false
    @Flag(help: "Keep running: emit each window when the watermark passes its end, until Ctrl-C or LIMIT.") var follow =
        false
    @Option(help: "With --follow: save progress under this name and resume from it on the next run.") var name: String?
    @Option(
        name: .customLong("idle-timeout"),
        help: "With --follow: a shard silent this long stops holding the watermark (default 30s)."
    )
    var idleTimeout: String = "30s"
    @Option(
        help:
            "Only records that arrived at or after this time (ISO-8601 or epoch ms); with --follow also trim-horizon or latest."
    )
    var from: String?
    @Option(help: "Only records that arrived before this time (ISO-8601 or epoch ms).") var until: String?
    @Option(help: "Append rows the query could not use (errors, late rows) to this JSON-lines file.") var errors:
        String?
    @Option(help: "Shards scanned at once (default: the number of CPUs; twice that with --endpoint).")
    var parallel: Int?

    /// Shards scanned at once without `--parallel`: the CPUs, or twice them through an endpoint,
    /// where a worker spends part of its time waiting for GetRecords answers.
    private var defaultParallelism: Int {
        ProcessInfo.processInfo.activeProcessorCount * (store.remoteEndpoint == nil ? 1 : 2)
    }

    func run() async throws {
        if Parser.isManagementStatement(sql) { return try await runStatement() }
        let plan: QueryPlan
        do {
            plan = try QueryPlanner.plan(sql)
        } catch {
            throw CommandFailure(error.rendered(in: sql))
        }
        let stream = try streamName(plan.stream)
        guard name == nil || follow else {
            throw CommandFailure("--name needs --follow (a bounded query has nothing to resume)")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let reporter = try ErrorReporter(path: errors)
        let into = sinkOptions.into ?? plan.statement.into
        if let into {
            try await sinkOptions.withStorage(url: into, store: store) { destination, storage in
                let sink = try sinkOptions.makeSink(
                    destination: destination,
                    storage: storage,
                    format: self.format,
                    columns: plan.columns,
                    names: ["stream": stream.rawValue, "query": name ?? "query"],
                    timeColumn: "window_start"
                )
                let statistics =
                    try await follow
                    ? runFollowing(plan, stream: stream, output: FileSinkOutput(sink: sink), reporter: reporter)
                    : runBoundedIntoSink(plan, stream: stream, sink: sink, reporter: reporter)
                try reporter.finish()
                StandardStreams.writeError(
                    "streamq: \(sink.statistics.rows) rows in \(sink.statistics.files) files committed under \(sink.destination.root)"
                        + (sink.statistics.errors > 0
                            ? "; \(sink.statistics.errors) rows could not be written (see _errors/)" : "") + "\n"
                )
                try finish(statistics, started: started, clock: clock, extraFailures: sink.statistics.errors)
            }
            return
        }
        let format = format ?? (StandardStreams.isOutputTerminal ? "table" : "jsonl")
        guard ["table", "jsonl", "csv"].contains(format) else {
            throw CommandFailure("--format must be table, jsonl or csv (parquet needs --into)")
        }
        let writer = ResultWriter(columns: plan.columns, format: format, streaming: follow)
        let statistics: QueryStatistics
        if follow {
            var checkpoint: QueryCheckpoint?
            if let name {
                let directory = try store.localStateDirectory()
                do {
                    checkpoint = try QueryCheckpoint(name: name, dataDirectory: directory)
                } catch {
                    throw CommandFailure(error.message)
                }
            }
            let output = StandardFollowOutput(checkpoint: checkpoint) { rows in
                writer.write(rows)
                writer.flush()
            }
            statistics = try await runFollowing(plan, stream: stream, output: output, reporter: reporter)
        } else {
            let from = try from.map { try timeOption($0, name: "--from") }
            let until = try until.map { try timeOption($0, name: "--until") }
            statistics = try await store.withBackend(mode: .readOnly) { backend in
                let runner = BoundedQueryRunner(
                    plan: plan,
                    backend: backend,
                    stream: stream,
                    from: from,
                    until: until,
                    parallelism: parallel ?? defaultParallelism
                )
                return try await runner.run(emit: { writer.write($0) }, reportErrors: { reporter.report($0) })
                    .statistics
            }
        }
        writer.finish()
        try reporter.finish()
        try finish(statistics, started: started, clock: clock, extraFailures: 0)
    }

    /// Prints `--stats` and fails with status 3 when rows were skipped.
    private func finish(
        _ statistics: QueryStatistics,
        started: ContinuousClock.Instant,
        clock: ContinuousClock,
        extraFailures: Int
    ) throws {
        if stats {
            StandardStreams.writeError(
                "rows in \(statistics.rowsIn), rows out \(statistics.rowsOut), late \(statistics.late), errors \(statistics.errors), elapsed \(started.duration(to: clock.now))\n"
            )
        }
        let skipped = statistics.errors + statistics.late
        if skipped > 0 {
            StandardStreams.writeError(
                "streamq: \(skipped) row\(skipped == 1 ? "" : "s") skipped (\(statistics.errors) could not be evaluated, \(statistics.late) late)\(errors.map { "; see \($0)" } ?? "")\n"
            )
        }
        if skipped + extraFailures > 0 { throw ExitCode(3) }
    }
}

extension Query {
    /// A statement: CREATE STREAM … AS and INSERT INTO backfill from history and stop (bounded), or
    /// with --follow start a persistent query and host it here until Ctrl-C; the others answer.
    private func runStatement() async throws {
        let statement: Statement
        do {
            statement = try Parser.parseStatement(sql)
        } catch {
            throw CommandFailure(error.rendered(in: sql))
        }
        switch statement {
        case .createStream, .insert:
            guard name == nil, sinkOptions.into == nil, from == nil, until == nil else {
                throw CommandFailure(
                    "--name, --into, --from and --until do not apply to \(sql.prefix(6).uppercased()) statements"
                )
            }
            if follow {
                Statements.print(try await Statements.execute(statement, text: sql, store: store))
                if store.remoteEndpoint == nil { try await Run.host(store) }
                return
            }
            let clock = ContinuousClock()
            let started = clock.now
            let reporter = try ErrorReporter(path: errors)
            let statistics: QueryStatistics
            if store.remoteEndpoint != nil {
                return Statements.print(try await Statements.remote(sql, bounded: true, store: store))
            }
            do {
                statistics = try await store.withStore { store in
                    try await StatementRunner(store: store).backfill(
                        statement,
                        text: sql,
                        parallelism: parallel ?? ProcessInfo.processInfo.activeProcessorCount,
                        reportErrors: { reporter.report($0) }
                    )
                }
            } catch let error as PipelineError {
                throw CommandFailure(error.message)
            }
            try reporter.finish()
            StandardStreams.writeOutput("\(statistics.rowsOut) rows into stream \(statement.target ?? "")\n")
            try finish(statistics, started: started, clock: clock, extraFailures: 0)
        default:
            try await Statements.run(sql, store: store)
        }
    }

    /// Follows the stream until Ctrl-C / SIGTERM (then commits its progress) or LIMIT.
    private func runFollowing(
        _ plan: QueryPlan,
        stream: StreamName,
        output: some FollowOutput & Sendable,
        reporter: ErrorReporter
    ) async throws
        -> QueryStatistics
    {
        guard until == nil else { throw CommandFailure("--until cannot be used with --follow") }
        let start: StartingPosition
        switch from {
        case nil, "trim-horizon": start = .trimHorizon
        case "latest": start = .latest
        case let text?: start = .atTimestamp(try timeOption(text, name: "--from"))
        }
        let idle = try milliseconds(idleTimeout, option: "--idle-timeout")
        return try await store.withBackend(mode: .readOnly) { backend in
            let runner = FollowQueryRunner(
                plan: plan,
                backend: backend,
                stream: stream,
                start: start,
                idleTimeout: idle,
                parallelism: parallel ?? ProcessInfo.processInfo.activeProcessorCount
            )
            return try await runner.runUntilStopped(output: output, reportErrors: { reporter.report($0) })
        }
    }

    /// A bounded query into files: rows are written as they come (rolling to new files by size),
    /// and all committed at the end, so the results appear whole or not at all.
    private func runBoundedIntoSink(
        _ plan: QueryPlan,
        stream: StreamName,
        sink: FileSink,
        reporter: ErrorReporter
    ) async throws -> QueryStatistics {
        do {
            guard try await sink.recover() == nil, !sink.hasCommits else {
                throw CommandFailure(
                    "\(sink.destination.root) already holds committed results; choose another directory or remove it (follow queries resume there instead)"
                )
            }
        } catch let error as SinkError {
            throw CommandFailure(error.message)
        }
        let from = try from.map { try timeOption($0, name: "--from") }
        let until = try until.map { try timeOption($0, name: "--until") }
        let guarded = LockedSink(sink)
        let statistics = try await store.withBackend(mode: .readOnly) { backend in
            let runner = BoundedQueryRunner(
                plan: plan,
                backend: backend,
                stream: stream,
                from: from,
                until: until,
                parallelism: parallel ?? defaultParallelism
            )
            return try await runner.run(
                emit: { rows in
                    try guarded.withSink { sink in
                        let now = FollowQueryRunner.wallClock()
                        try sink.write(rows, now: now)
                        if sink.shouldCommit(now: now) { try sink.roll() }
                    }
                },
                reportErrors: { reporter.report($0) }
            ).statistics
        }
        do {
            try await sink.commit(state: nil)
        } catch let error as SinkError {
            throw CommandFailure(error.message)
        }
        return statistics
    }
}

/// A time given on the command line: ISO-8601, or epoch seconds/ms/µs.
func timeOption(_ text: String, name: String) throws -> Int64 {
    guard let milliseconds = EventTime.milliseconds(fromText: text) else {
        throw CommandFailure(
            "\(name) must be an ISO-8601 time (2026-01-01T00:00:00Z) or epoch milliseconds, got '\(text)'"
        )
    }
    return milliseconds
}

/// Renders result rows as a table, JSON lines or CSV (RFC 4180): the same text as the file sinks
/// write (``RowText``).
enum ResultFormatter {
    /// Rows whose lines are encoded together (on every core) before they are written.
    private static let rowsPerChunk = 65_536

    static func write(_ result: ResultSet, format: String, to output: inout OutputBuffer, header: Bool = true) {
        switch format {
        case "jsonl", "csv":
            if format == "csv", header { output.bytes += RowText.csvHeader(result.columns) }
            // A window query can give a million rows at once: their lines are encoded on every core,
            // a chunk at a time so the text held stays small, and written in order.
            let lines = TextLineEncoder(format: format == "csv" ? .csv : .jsonl, columns: result.columns)
            var start = 0
            while start < result.rows.count {
                let end = min(start + Self.rowsPerChunk, result.rows.count)
                for piece in lines.lines(of: result.rows[start..<end]) {
                    output.bytes += piece
                    output.flushIfLarge()
                }
                start = end
            }
        default:
            let lines = TextTable.render(header: result.columns, rows: result.rows.map { $0.map(RowText.text) })
            output.append(
                lines.joined(separator: "\n") + "\n(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))\n"
            )
        }
    }
}
