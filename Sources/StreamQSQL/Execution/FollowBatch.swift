import StreamQStorage

/// One read of one shard's records, evaluated by a ``FollowEvaluator`` on the task that read it:
/// the rows a plain query keeps, a grouped query's partial state, the rows that were late or
/// could not be evaluated, and the newest event time folded. ``ContinuousQuery/apply(_:)`` applies
/// batches one at a time, in the order a single reader would have read them.
///
/// Lateness is decided against `watermark`, the query's watermark when the batch was started: it
/// only moves when the query advances, which waits for every batch of a round.
struct FollowBatch: Sendable {
    let shard: ShardID
    /// Wall-clock time (ms) the records were read.
    let now: Int64
    let watermark: Int64
    /// Records read, every one counted as a row in.
    var records = 0
    /// Output rows of a plain query, in record order.
    var rows: [ProjectedRow] = []
    /// Late and unusable rows, in record order.
    var errors: [RowError] = []
    var evaluationErrors = 0
    var late = 0
    /// The newest event time the row engine folded (the fast path keeps its own).
    var newestEventTime: Int64?
    /// The fast path's groups: every row it folded came before the first row the row engine
    /// folded, so absorbing them first keeps each window's groups in the order they were met.
    var fast: FastScan?
    /// Whether the fast path still takes rows (a grouped query's batch closes it at the first
    /// row it declines).
    var fastIsOpen: Bool
    /// The row engine's partial state of a grouped query whose aggregates merge as they fold
    /// (``Accumulator/mergesLikeFolding``).
    var aggregation: AggregationState
    /// The row engine's evaluated rows of any other grouped query, in record order, folded into
    /// the query's state when the batch is applied.
    var evaluated: [EvaluatedRow] = []

    /// A grouped row's key, aggregate inputs and event time (nil without a window).
    struct EvaluatedRow: Sendable {
        var key: [SQLValue]
        var inputs: [AggregateSpec.Input]
        var time: Int64?
        var arrival: Int64
    }

    init(shard: ShardID, now: Int64, watermark: Int64, fast: FastScan?, aggregation: AggregationState) {
        self.shard = shard
        self.now = now
        self.watermark = watermark
        self.fast = fast
        fastIsOpen = fast != nil
        self.aggregation = aggregation
    }

    /// Records a row whose every window had closed.
    mutating func recordLate(time: Int64, position: SequenceNumber?) {
        late += 1
        errors.append(
            RowError(
                kind: .late,
                position: position,
                message:
                    "event time \(EventTime.iso8601(time)) is behind the watermark \(EventTime.iso8601(watermark)): its window had closed"
            )
        )
    }
}
