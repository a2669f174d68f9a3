import StreamQStorage

/// Runs a ``QueryPlan`` continuously: rows come in as shards deliver them, windows are emitted
/// once each when the watermark passes their end (`EMIT FINAL`) or on every change (`EMIT
/// CHANGES`), and late rows are dropped and reported, or, under `ON LATE UPDATE WITHIN g`,
/// folded into their kept window and its corrected row emitted again.
///
/// A grouped query without a window emits its changed groups as they change.
public struct ContinuousQuery: Sendable {
    public let plan: QueryPlan
    /// How long fired windows are kept for late rows (`ON LATE UPDATE WITHIN`), in ms.
    public let allowedLateness: Int64
    public private(set) var statistics = QueryStatistics()
    /// When set, windows ending at or before this event time are not emitted (see
    /// ``FollowQueryRunner/emitsWindowsEndingAfter``).
    public var emitsWindowsEndingAfter: Int64?
    private(set) var watermarks: WatermarkTracker
    private(set) var aggregation: AggregationState
    /// Evaluates the records fed one at a time (``add(_:shard:now:)``), through the row engine.
    private var evaluator: FollowEvaluator
    private var pendingRows: [ProjectedRow] = []
    private var pendingErrors: [RowError] = []

    /// The default watermark delay, when the query does not say `WATERMARK DELAY`.
    public static let defaultDelay: Int64 = 5000
    /// The default time after which a shard that delivers nothing no longer holds the watermark.
    public static let defaultIdleTimeout: Int64 = 30_000

    public init(plan: QueryPlan, idleTimeout: Int64 = defaultIdleTimeout) {
        self.plan = plan
        let delay =
            plan.statement.source.watermarkDelay?.milliseconds
            ?? (plan.window?.isProcessingTime == true ? 0 : Self.defaultDelay)
        watermarks = WatermarkTracker(delay: delay, idleTimeout: idleTimeout)
        if case .updateWithin(let interval) = plan.statement.late {
            allowedLateness = interval.milliseconds
        } else {
            allowedLateness = 0
        }
        aggregation = AggregationState(aggregates: plan.aggregates, keyWidth: plan.groupKeys.count, window: plan.window)
        aggregation.tracksChanges =
            plan.statement.emit == .changes || allowedLateness > 0 || (plan.isAggregate && plan.window == nil)
        evaluator = FollowEvaluator(
            plan: plan,
            allowedLateness: allowedLateness,
            tracksChanges: aggregation.tracksChanges,
            fastPath: false
        )
    }

    /// The query's event-time watermark (nil until every active shard has delivered a row).
    public var watermark: Int64? { watermarks.current == .min ? nil : watermarks.current }

    /// The query has emitted its LIMIT of rows: nothing more will come out.
    public var isComplete: Bool { plan.limit.map { statistics.rowsOut >= Int($0) } ?? false }

    /// A shard the query starts reading.
    public mutating func register(shard: ShardID, now: Int64) { watermarks.register(shard, now: now) }

    /// A shard that ended (after a split or merge); its children are registered when they start.
    public mutating func close(shard: ShardID) { watermarks.close(shard) }

    /// Continues from a checkpoint.
    mutating func restore(
        watermarks: WatermarkTracker,
        aggregation snapshot: AggregationState.Snapshot,
        statistics: QueryStatistics,
        now: Int64
    ) {
        self.watermarks = watermarks
        self.watermarks.resume(now: now)
        aggregation.restore(snapshot)
        self.statistics = statistics
    }

    /// An evaluator of this query's records for a shard's reader, with a compiled plan of its
    /// own: sharing one would make the cores contend on the reference counts of its closures.
    func makeEvaluator() throws -> FollowEvaluator {
        FollowEvaluator(
            plan: try QueryPlanner.plan(plan.statement),
            allowedLateness: allowedLateness,
            tracksChanges: aggregation.tracksChanges,
            fastPath: true
        )
    }

    /// The watermark batches are judged against until the next ``advance(now:)`` (`.min`: none yet).
    var batchWatermark: Int64 { watermarks.current }

    /// Feeds one record from `shard`, read at wall-clock time `now` (ms).
    mutating func add(_ row: SQLRow, shard: ShardID, now: Int64) {
        var batch = evaluator.makeBatch(shard: shard, now: now, watermark: watermarks.current)
        var row = row
        evaluator.add(&row, to: &batch)
        apply(batch)
    }

    /// Feeds one record owned by the caller.
    public mutating func add(_ record: SQLRecord, shard: ShardID, now: Int64) {
        record.withRow { add($0, shard: shard, now: now) }
    }

    /// Takes in a batch evaluated against the current watermark: its shard delivered records
    /// (so is not idle), its event times move the shard's watermark, and its rows, errors and
    /// partial state join the query's. Batches applied in the order they were read give exactly
    /// the state, rows and errors that feeding their records one by one would.
    mutating func apply(_ batch: FollowBatch) {
        guard batch.records > 0 else { return }
        statistics.rowsIn += batch.records
        statistics.errors += batch.evaluationErrors
        statistics.late += batch.late
        watermarks.touch(batch.shard, now: batch.now)
        if let newest = [batch.newestEventTime, batch.fast?.newestEventTime].compactMap({ $0 }).max() {
            watermarks.observe(batch.shard, eventTime: newest, now: batch.now)
        }
        if !isComplete {
            if pendingRows.isEmpty { pendingRows = batch.rows } else { pendingRows += batch.rows }
        }
        pendingErrors += batch.errors
        if let groups = batch.fast?.groups { aggregation.absorb(groups) }
        aggregation.merge(batch.aggregation)
        for row in batch.evaluated {
            aggregation.fold(key: row.key, time: row.time, inputs: row.inputs, arrival: row.arrival)
        }
    }

    /// Advances the watermark to `now`, fires the windows it passed, and hands over the rows to
    /// emit (in emission order; ORDER BY sorts the rows of one firing) and the rows skipped.
    public mutating func advance(now: Int64) -> (rows: [[SQLValue]], errors: [RowError]) {
        moveWatermark(now: now)
        return takeOutput()
    }

    /// The first half of ``advance(now:)``: the watermark as of `now`, which batches read from
    /// now on are judged against.
    mutating func moveWatermark(now: Int64) { watermarks.advance(now: now) }

    /// The second half of ``advance(now:)``: fires the windows the watermark passed and hands over
    /// the rows to emit and the rows skipped.
    mutating func takeOutput() -> (rows: [[SQLValue]], errors: [RowError]) {
        let watermark = watermarks.current
        var rows = pendingRows
        pendingRows = []
        if plan.isAggregate {
            var results: [AggregationState.GroupResult] = []
            if aggregation.tracksChanges {
                // EMIT CHANGES: every changed group; EMIT FINAL: corrections of fired windows only.
                results += aggregation.takeChanges(firedOnly: plan.statement.emit == .final && plan.window != nil)
            }
            if plan.window != nil {
                let fired = aggregation.fire(upTo: watermark, retention: allowedLateness)
                if plan.statement.emit == .final { results += fired }
            }
            if let bound = emitsWindowsEndingAfter {
                results.removeAll { result in result.window.map { $0.end <= bound } ?? false }
            }
            var grouped: [ProjectedRow] = []
            for result in results {
                do {
                    if let row = try ResultShaping.project(result, plan: plan) { grouped.append(row) }
                } catch {
                    statistics.errors += 1
                    pendingErrors.append(RowError(kind: .evaluation, position: nil, message: "\(error)"))
                }
            }
            rows += grouped
        }
        var output = ResultShaping.finish(
            rows,
            plan: plan,
            limit: plan.limit.map { max(0, Int($0) - statistics.rowsOut) }
        )
        if isComplete { output = [] }
        statistics.rowsOut += output.count
        let errors = pendingErrors
        pendingErrors = []
        return (output, errors)
    }
}
