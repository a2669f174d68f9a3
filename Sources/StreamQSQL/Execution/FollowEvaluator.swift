import StreamQStorage

/// The per-record half of a follow query, run by the task that reads a shard: each record is
/// offered to the typed fast path, and otherwise goes through the row engine (extraction, WHERE,
/// then the projection, or the group key, aggregate inputs and event time), is checked against
/// the batch's watermark and folded into the batch's partial state. Each shard's reader owns one,
/// with its own compiled copy of the plan.
struct FollowEvaluator: Sendable {
    let plan: QueryPlan
    let allowedLateness: Int64
    private var pipeline: RowPipeline
    /// The fast path with nothing taken, copied into each batch (nil when the query has a part it
    /// does not take, or once it stopped paying).
    private var fastPath: FastScan?
    /// An empty partial state, copied into each batch.
    private let emptyAggregation: AggregationState
    /// Whether the row engine folds grouped rows into the batch's partial state (its aggregates
    /// merge as they fold), rather than handing them over evaluated.
    private let foldsIntoBatch: Bool

    /// - Parameter tracksChanges: whether the query records changed groups (as its own state does).
    init(plan: QueryPlan, allowedLateness: Int64, tracksChanges: Bool, fastPath: Bool) {
        self.plan = plan
        self.allowedLateness = allowedLateness
        pipeline = RowPipeline(plan: plan)
        self.fastPath = fastPath ? FastScan(plan: plan, follow: true) : nil
        foldsIntoBatch = plan.aggregates.allSatisfy { $0.initial().mergesLikeFolding }
        var aggregation = AggregationState(
            aggregates: plan.aggregates,
            keyWidth: plan.groupKeys.count,
            window: plan.window
        )
        aggregation.tracksChanges = tracksChanges
        emptyAggregation = aggregation
    }

    /// An empty batch of `shard`'s records read at `now`, late when behind `watermark`.
    func makeBatch(shard: ShardID, now: Int64, watermark: Int64) -> FollowBatch {
        var fast = fastPath
        fast?.watermark = watermark
        fast?.retention = allowedLateness
        return FollowBatch(shard: shard, now: now, watermark: watermark, fast: fast, aggregation: emptyAggregation)
    }

    /// Feeds one record lent by a scan of the batch's shard.
    mutating func add(_ record: RecordView, to batch: inout FollowBatch) {
        batch.records += 1
        if batch.fastIsOpen {
            switch batch.fast!.take(record.data, arrivalMilliseconds: record.arrivalMilliseconds) {
            case .taken: return
            case .late(let time):
                batch.recordLate(time: time, position: SequenceNumber(sequence: record.sequence, shard: batch.shard))
                return
            case .declined:
                // A group the row engine met first must come first in its window, as it would
                // for a single reader: the rest of the batch goes to the row engine.
                if plan.isAggregate { batch.fastIsOpen = false }
            }
        }
        var row = SQLRow(
            data: record.data,
            arrivalMilliseconds: record.arrivalMilliseconds,
            partitionKey: record.partitionKey,
            position: SequenceNumber(sequence: record.sequence, shard: batch.shard)
        )
        evaluate(&row, into: &batch)
    }

    /// Feeds one row through the row engine alone.
    mutating func add(_ row: inout SQLRow, to batch: inout FollowBatch) {
        batch.records += 1
        evaluate(&row, into: &batch)
    }

    /// Done with a batch: the fast path is dropped for the next ones when it did not pay here.
    mutating func finish(_ batch: FollowBatch) {
        if let fast = batch.fast, !fast.isWorthwhile { fastPath = nil }
    }

    private mutating func evaluate(_ row: inout SQLRow, into batch: inout FollowBatch) {
        do {
            guard try pipeline.prepare(&row) else { return }
            guard plan.isAggregate else {
                batch.rows.append(try pipeline.project(row))
                return
            }
            let time = try pipeline.evaluateGrouping(row)
            if let time, batch.aggregation.isLate(time: time, watermark: batch.watermark, retention: allowedLateness) {
                batch.recordLate(time: time, position: row.position)
                return
            }
            if let time { batch.newestEventTime = max(batch.newestEventTime ?? .min, time) }
            guard foldsIntoBatch else {
                batch.evaluated.append(
                    FollowBatch.EvaluatedRow(
                        key: pipeline.key,
                        inputs: pipeline.inputs,
                        time: time,
                        arrival: row.arrivalMilliseconds
                    )
                )
                return
            }
            batch.aggregation.fold(
                key: pipeline.key,
                time: time,
                inputs: pipeline.inputs,
                arrival: row.arrivalMilliseconds
            )
        } catch {
            batch.evaluationErrors += 1
            batch.errors.append(RowError(kind: .evaluation, position: row.position, message: "\(error)"))
        }
    }
}
