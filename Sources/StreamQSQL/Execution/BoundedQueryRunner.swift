import StreamQClient
import StreamQStorage
import Synchronization

/// Runs a bounded query over a stream in a ``StreamBackend``: every shard (open or closed) from its
/// oldest record (or `from`) to its end as of the start (or `until`), the shards scanned in
/// parallel (without copying records from a local store), each worker aggregating its own
/// partial state, merged at the end.
///
/// A remote open shard's end is not known in advance: it is read until it has caught up, and
/// records that arrived after the query started are left out.
public struct BoundedQueryRunner: Sendable {
    public var plan: QueryPlan
    public var backend: any StreamBackend
    public var stream: StreamName
    /// Only records that arrived at or after this time (ms since the epoch).
    public var from: Int64?
    /// Only records that arrived before this time.
    public var until: Int64?
    /// Shards scanned at once.
    public var parallelism: Int

    public init(
        plan: QueryPlan,
        backend: any StreamBackend,
        stream: StreamName,
        from: Int64? = nil,
        until: Int64? = nil,
        parallelism: Int = 2
    ) {
        self.plan = plan
        self.backend = backend
        self.stream = stream
        self.from = from
        self.until = until
        self.parallelism = max(1, parallelism)
    }

    /// What the query did, once it has run.
    public struct Summary: Sendable {
        public var statistics: QueryStatistics
    }

    /// Runs the query.
    /// - Parameters:
    ///   - emit: receives result rows; a plain query without ORDER BY or DISTINCT streams them as
    ///     they are found (in no particular order across shards), others deliver all at the end.
    ///   - reportErrors: receives every row that could not be evaluated, in batches.
    public func run(
        emit: @escaping @Sendable ([[SQLValue]]) throws -> Void,
        reportErrors: @escaping @Sendable ([RowError]) -> Void
    ) async throws -> Summary {
        let startedAt = FollowQueryRunner.wallClock()
        let description = try await backend.describeStream(stream)
        let streaming = !plan.isAggregate && plan.order.isEmpty && !plan.distinct
        let emitted = RowCounter()
        let limit = plan.limit.map(Int.init)
        let plan = self.plan
        var merged = BoundedQuery(plan: plan)
        let work = try await workItems(description)
        try await withThrowingTaskGroup(of: BoundedQuery.self) { group in
            var pending = work[...]
            func startNext() {
                guard let item = pending.popFirst() else { return }
                group.addTask {
                    try await scan(
                        item,
                        arrivedBefore: item.sequences.upperBound == .max ? min(until ?? .max, startedAt) : until,
                        streaming: streaming,
                        emitted: emitted,
                        limit: limit,
                        emit: emit,
                        reportErrors: reportErrors
                    )
                }
            }
            for _ in 0..<parallelism { startNext() }
            while let partial = try await group.next() {
                merged.merge(partial)
                startNext()
            }
        }
        reportErrors(merged.takeErrors())
        var statistics = merged.statistics
        if streaming {
            statistics.rowsOut = min(emitted.count.load(ordering: .relaxed), limit ?? .max)
        } else {
            let result = merged.finish(parallelism: parallelism)
            statistics = merged.statistics
            try emit(result.rows)
        }
        return Summary(statistics: statistics)
    }

    /// A range of one shard's sequences for one worker; one whose upper bound is `UInt64.max` is
    /// read until the shard has caught up.
    struct WorkItem: Sendable {
        var shard: ShardID
        var sequences: Range<UInt64>
    }

    /// Every shard's records as of now, cut into ranges small enough to keep all workers busy to the
    /// end however unevenly keys spread over shards (a shard whose end is unknown, or whose
    /// sequences leave gaps, stays whole).
    private func workItems(_ description: StreamDescription) async throws -> [WorkItem] {
        var ranges: [WorkItem] = []
        for shard in description.shards where !shard.storedSequences.isEmpty {
            var start = shard.storedSequences.lowerBound
            if let from {
                start = try await backend.cursor(stream: stream, shard: shard.id, at: .atTimestamp(from)).sequence
            }
            ranges.append(WorkItem(shard: shard.id, sequences: start..<max(start, shard.storedSequences.upperBound)))
        }
        let dense = backend.numbersRecordsDensely
        let known = ranges.filter { dense && $0.sequences.upperBound != .max }
        let total = known.reduce(0) { $0 + Int($1.sequences.count) }
        let chunk = UInt64(max(20_000, total / (parallelism * 8)))
        let perShard = ranges.map { item in
            guard dense && item.sequences.upperBound != .max else { return [item] }
            return stride(from: item.sequences.lowerBound, to: item.sequences.upperBound, by: Int(chunk)).map { start in
                WorkItem(shard: item.shard, sequences: start..<min(start + chunk, item.sequences.upperBound))
            }
        }
        // Round-robin over shards, so workers start on different shards (each shard's first read
        // indexes its open segment, under that shard's lock).
        var items: [WorkItem] = []
        for round in 0..<(perShard.map(\.count).max() ?? 0) {
            for shard in perShard where round < shard.count { items.append(shard[round]) }
        }
        return items
    }

    /// Scans one range of a shard into a partial query.
    private func scan(
        _ item: WorkItem,
        arrivedBefore until: Int64?,
        streaming: Bool,
        emitted: RowCounter,
        limit: Int?,
        emit: @Sendable ([[SQLValue]]) throws -> Void,
        reportErrors: @Sendable ([RowError]) -> Void
    ) async throws -> BoundedQuery {
        // Each worker compiles its own copy of the plan: sharing one would make the cores contend
        // on the reference counts of its closures and arrays, which costs more than the work.
        let plan = try QueryPlanner.plan(self.plan.statement)
        var query = BoundedQuery(plan: plan)
        var pipeline = RowPipeline(plan: plan)
        let end = item.sequences.upperBound
        let shard = item.shard
        var cursor: ShardCursor? = ShardCursor(stream: stream, shard: shard, sequence: item.sequences.lowerBound)
        let until = until ?? .max
        // Each read of a local store sets up its own decompression context, read buffer and shard
        // view, and decompresses again the batch the previous read stopped in (at 10,000 records a
        // read that was every other batch: a sixth of a filter query's time). An aggregate, which
        // holds no rows between reads, takes ten times more per read. Streamed rows go out after
        // each read, so a plain query's first read is small (the first rows come soon), and so are
        // the reads after one that kept many rows (what a read keeps is held until it ends) or
        // under a LIMIT (which should stop soon after it is reached).
        let dense = backend.numbersRecordsDensely
        var readRecords = dense && !streaming ? 100_000 : 10_000
        var passedUntil = false
        while let current = cursor, current.sequence < end, !passedUntil {
            try Task.checkCancellation()
            if let limit, streaming, emitted.count.load(ordering: .relaxed) >= limit { break }
            let result = try await backend.scan(
                current,
                maxRecords: Int(min(UInt64(readRecords), end - current.sequence)),
                maxBytes: readRecords << 10
            ) { record in
                guard record.arrivalMilliseconds < until else {
                    passedUntil = true  // arrival times only grow within a shard
                    return
                }
                if query.takeFast(record.data, arrivalMilliseconds: record.arrivalMilliseconds) { return }
                var row = SQLRow(
                    data: record.data,
                    arrivalMilliseconds: record.arrivalMilliseconds,
                    partitionKey: record.partitionKey,
                    position: SequenceNumber(sequence: record.sequence, shard: shard)
                )
                query.add(&row, pipeline: &pipeline)
            }
            cursor = result.next
            query.reviewFastPath()
            let errors = query.takeErrors()
            if !errors.isEmpty { reportErrors(errors) }
            if streaming {
                let rows = query.takePlainRows()
                readRecords = dense && limit == nil && rows.count < 1_000 ? 100_000 : 10_000
                if !rows.isEmpty {
                    let before = emitted.count.add(rows.count, ordering: .relaxed).oldValue
                    if let limit {
                        if before < limit { try emit(Array(rows.prefix(limit - before))) }
                        if before + rows.count >= limit { break }
                    } else {
                        try emit(rows)
                    }
                }
            }
            if result.recordCount == 0 { break }
            await Task.yield()
        }
        return query
    }
}

/// Rows emitted so far by all workers, for LIMIT.
final class RowCounter: Sendable {
    let count = Atomic<Int>(0)
}
