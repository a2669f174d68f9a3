import StreamQSQL
import StreamQStorage

/// What `SHOW QUERIES` and `DESCRIBE QUERY` show of a persistent query: its definition, what its
/// host last reported and what its checkpoint says, with its lag behind each source shard.
public struct QueryDescription: Sendable, Codable, Equatable {
    public var name: String
    public var sql: String
    /// running, stopping (committing before it stops), stopped, failed (restarting with backoff),
    /// or `not hosted` when it should run but no live `streamq serve` or `streamq run` hosts the
    /// data directory.
    public var state: String
    public var lastError: String?
    public var failures: Int
    public var source: String
    public var output: String
    public var errorStream: String
    public var rowsIn: Int
    public var rowsOut: Int
    public var errors: Int
    public var late: Int
    public var watermark: String?
    public var stateBytes: Int
    public var lag: [ShardLag]

    /// How far the query is behind one shard of its source.
    public struct ShardLag: Sendable, Codable, Equatable {
        public var shard: String
        public var records: UInt64
        /// Arrival time of the newest record minus that of the next one the query reads.
        public var milliseconds: Int64
    }

    init(of definition: QueryDefinition, in runner: StatementRunner) throws {
        name = definition.name
        sql = definition.statement
        output = definition.target
        errorStream = definition.errorStream
        source = (try? QueryPlanner.plan(try definition.insert().query).stream) ?? "?"
        let status = runner.catalog.status(of: definition.name)
        let alive = status.map { FollowQueryRunner.wallClock() - $0.updatedAt < QueryStatus.staleAfter } ?? false
        switch (definition.desiredState, alive ? status?.state : nil) {
        case (.stopped, .running?), (.stopped, .failed?): state = "stopping"
        case (.stopped, _): state = "stopped"
        case (.running, .failed?): state = "failed"
        case (.running, .running?): state = "running"
        case (.running, _): state = "not hosted"
        }
        lastError = status?.lastError
        failures = status?.failures ?? 0
        let progress = try runner.catalog.progress(of: definition.name)
        let statistics = progress?.follow?.statistics ?? QueryStatistics()
        (rowsIn, rowsOut, errors, late) = (statistics.rowsIn, statistics.rowsOut, statistics.errors, statistics.late)
        watermark = progress?.follow?.watermark.map(EventTime.iso8601)
        stateBytes = progress?.checkpointBytes ?? 0
        lag = []
        if let stream = try? StreamName(validating: source), let description = try? runner.store.describeStream(stream)
        {
            let newest = Dictionary(
                try runner.store.statistics(stream).map { ($0.shard, $0.newestArrivalMilliseconds) },
                uniquingKeysWith: { first, _ in first }
            )
            for shard in description.shards where !(progress?.follow?.finished.contains(shard.id) ?? false) {
                lag.append(
                    try Self.lag(
                        of: shard.id,
                        in: stream,
                        from: progress?.follow?.positions[shard.id],
                        newestArrival: newest[shard.id] ?? nil,
                        store: runner.store
                    )
                )
            }
        }
    }

    private static func lag(
        of shard: ShardID,
        in stream: StreamName,
        from next: UInt64?,
        newestArrival newest: Int64?,
        store: StreamStore
    ) throws -> ShardLag {
        let tip = try store.cursor(stream: stream, shard: shard, at: .latest).sequence
        let start = try next ?? store.cursor(stream: stream, shard: shard, at: .trimHorizon).sequence
        guard tip > start else { return ShardLag(shard: shard.description, records: 0, milliseconds: 0) }
        let oldest = try store.read(ShardCursor(stream: stream, shard: shard, sequence: start), maxRecords: 1).records
            .first
        let milliseconds = max(0, (newest ?? 0) - (oldest?.arrivalMilliseconds ?? newest ?? 0))
        return ShardLag(shard: shard.description, records: tip - start, milliseconds: milliseconds)
    }

    /// `DESCRIBE QUERY`: one row per property.
    var details: StatementResult {
        var rows: [[String]] = [
            ["name", name], ["state", state], ["sql", sql], ["source", source], ["output", output],
            ["error_stream", errorStream], ["rows_in", String(rowsIn)], ["rows_out", String(rowsOut)],
            ["errors", String(errors)], ["late", String(late)], ["watermark", watermark ?? "none yet"],
            ["state_bytes", String(stateBytes)], ["failures", String(failures)],
        ]
        if let lastError { rows.append(["last_error", lastError]) }
        for shard in lag {
            rows.append(["lag \(shard.shard)", "\(shard.records) records, \(shard.milliseconds) ms"])
        }
        return StatementResult(columns: ["property", "value"], rows: rows)
    }

    /// `SHOW QUERIES`: one row per query.
    static func table(_ queries: [QueryDescription]) -> StatementResult {
        StatementResult(
            columns: ["query", "state", "source", "output", "rows_in", "rows_out", "errors", "late", "lag_records"],
            rows: queries.map { query in
                [
                    query.name, query.state, query.source, query.output, String(query.rowsIn), String(query.rowsOut),
                    String(query.errors), String(query.late), String(query.lag.reduce(0) { $0 + $1.records }),
                ]
            }
        )
    }
}
