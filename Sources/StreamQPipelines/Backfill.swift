import StreamQSQL
import StreamQStorage
import Synchronization

extension StatementRunner {
    /// Bounded mode of `CREATE STREAM … AS SELECT` and `INSERT INTO … SELECT`: runs the query over
    /// the source's history up to now (every window firing at the end, as any bounded query) and
    /// appends its rows to the stream, creating it first for CREATE STREAM. No persistent query is
    /// left behind.
    ///
    /// The rows are appended once the query has finished, in stamped appends of up to 10,000 rows;
    /// an interrupted backfill can leave part of them in the stream.
    /// - Returns: the query's counts; `reportErrors` gets the rows it could not use.
    public func backfill(
        _ statement: Statement,
        text: String,
        parallelism: Int,
        reportErrors: @escaping @Sendable ([RowError]) -> Void
    ) async throws -> QueryStatistics {
        let insert: Statement.Insert
        var create: Statement.CreateStream?
        switch statement {
        case .createStream(let statement):
            insert = statement.insert
            create = statement
        case .insert(let statement):
            insert = statement
        default:
            throw PipelineError("only CREATE STREAM … AS SELECT and INSERT INTO … SELECT backfill")
        }
        let plan = try check(insert, name: insert.target, text: text)
        let target = try StreamName(validating: insert.target)
        let exists = try store.listStreams().contains(target)
        if let create {
            guard !exists else {
                throw PipelineError("stream '\(target)' already exists; use INSERT INTO \(target) SELECT … to feed it")
            }
            let retention = try create.retention.map(Self.parseRetention) ?? .seconds(24 * 3600)
            try store.createStream(target, shardCount: create.shards ?? 1, retention: retention)
        } else if !exists {
            throw PipelineError("stream '\(target)' does not exist; CREATE STREAM \(target) AS SELECT … makes one")
        }
        let rows = Mutex<[[SQLValue]]>([])
        let summary = try await BoundedQueryRunner(
            plan: plan,
            backend: store,
            stream: try StreamName(validating: plan.stream),
            parallelism: parallelism
        ).run(emit: { more in rows.withLock { $0 += more } }, reportErrors: reportErrors)
        var router = OutputRouter(
            store: store,
            target: target,
            producerID: Self.newProducerID(),
            columns: plan.columns,
            partitionKey: try PersistentQuery.partitionKey(insert, plan: plan, query: insert.target)
        )
        let all = rows.withLock { $0 }
        for start in stride(from: 0, to: all.count, by: 10_000) {
            let appends = try router.route(Array(all[start..<min(start + 10_000, all.count)]))
            try await OutputRouter.append(appends, producerID: router.producerID, store: store)
        }
        return summary.statistics
    }
}
