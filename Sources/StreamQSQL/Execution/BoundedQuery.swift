import StreamQStorage

/// Runs a ``QueryPlan`` over a finite set of rows (a stream's history): every window fires at the
/// end, so results are what a batch engine computes over the same records. Partial queries over
/// different shards ``merge(_:)`` into one.
///
/// Rows that cannot be evaluated (not JSON where a field is needed, an unparseable event time, a
/// failed CAST) are counted and kept (up to ``errorLimit``); they never stop the query and are never
/// partly aggregated.
public struct BoundedQuery: Sendable {
    public let plan: QueryPlan
    /// What the query did so far.
    public var statistics: QueryStatistics {
        var statistics = counts
        statistics.rowsIn += fast?.rowsIn ?? 0
        return statistics
    }
    /// The counts of the rows the row engine took (and, once absorbed, the fast path's).
    private var counts = QueryStatistics()
    /// The first row errors, with what went wrong (all are counted in `statistics.errors`).
    public private(set) var errors: [RowError] = []
    public static let errorLimit = 1000

    private var aggregation: AggregationState
    private var plainRows: [ProjectedRow] = []
    /// The pipeline (and its scratch buffers) for records fed one at a time through ``add(_:)``.
    private var ownPipeline: RowPipeline?

    /// The window's kind and size, kept apart from the plan so the per-row path copies no closures.
    private let windowKind: WindowSpec.Kind?
    /// TUMBLE: the size; HOP: the slide.
    private let paneWidth: Int64

    /// The typed fast path for the common query shapes, tried before the row engine (nil when
    /// the plan has a part it does not take, or once it stopped paying).
    private var fast: FastScan?
    /// What the fast paths of the partial queries merged into this one folded (and this one's
    /// own, once it is done), kept typed: when the row engine took no row, the results come
    /// straight from it.
    private var fastGroups: FastGroups?

    public init(plan: QueryPlan) { self.init(plan: plan, fastPath: true) }

    /// - Parameter fastPath: false runs every row through the row engine (to compare the two).
    init(plan: QueryPlan, fastPath: Bool) {
        self.plan = plan
        windowKind = plan.window?.kind
        paneWidth = plan.window?.slide ?? 1
        aggregation = AggregationState(aggregates: plan.aggregates, keyWidth: plan.groupKeys.count, window: plan.window)
        fast = fastPath ? FastScan(plan: plan) : nil
    }

    /// Feeds one record.
    public mutating func add(_ record: SQLRecord) {
        let taken = record.data.withUnsafeBytes { takeFast($0, arrivalMilliseconds: record.arrivalMilliseconds) }
        if taken { return }
        var pipeline = ownPipeline ?? RowPipeline(plan: plan)
        ownPipeline = nil  // moved out while in use, so its buffers stay uniquely referenced
        record.withRow { row in
            var row = row
            add(&row, pipeline: &pipeline)
        }
        ownPipeline = pipeline
    }

    /// Feeds one borrowed row through a worker's pipeline.
    mutating func add(_ row: inout SQLRow, pipeline: inout RowPipeline) {
        counts.rowsIn += 1
        do {
            guard try pipeline.prepare(&row) else { return }
            guard plan.isAggregate else {
                plainRows.append(try pipeline.project(row))
                return
            }
            let time = try pipeline.evaluateGrouping(row)
            if let time, let windowKind {
                switch windowKind {
                case .session:
                    aggregation.addToSession(
                        key: pipeline.key,
                        time: time,
                        inputs: pipeline.inputs,
                        arrival: row.arrivalMilliseconds
                    )
                case .tumble, .hop:
                    let (quotient, remainder) = time.quotientAndRemainder(dividingBy: paneWidth)
                    let start = (remainder < 0 ? quotient - 1 : quotient) * paneWidth
                    aggregation.add(
                        key: pipeline.key,
                        paneStart: start,
                        inputs: pipeline.inputs,
                        arrival: row.arrivalMilliseconds
                    )
                }
            } else {
                aggregation.add(
                    key: pipeline.key,
                    paneStart: 0,
                    inputs: pipeline.inputs,
                    arrival: row.arrivalMilliseconds
                )
            }
        } catch {
            record(RowError(kind: .evaluation, position: row.position, message: "\(error)"))
        }
    }

    /// Offers one record to the fast path.
    /// - Returns: true when it took the record; false when the row engine must (``add(_:pipeline:)``).
    @inline(__always)
    mutating func takeFast(_ data: UnsafeRawBufferPointer, arrivalMilliseconds: Int64) -> Bool {
        guard fast != nil else { return false }
        return fast!.take(data, arrivalMilliseconds: arrivalMilliseconds) != .declined
    }

    /// Rows the fast path has taken and not yet handed over.
    var fastPathRowCount: Int { fast?.rowsIn ?? 0 }

    /// Gives up the fast path once it has shown it does not pay for this query's records (most
    /// of them needed the row engine anyway), keeping what it aggregated.
    mutating func reviewFastPath() {
        guard let scan = fast, !scan.isWorthwhile else { return }
        retireFastPath()
    }

    /// Ends this query's own fast path, keeping what it folded with the partial queries' groups.
    private mutating func retireFastPath() {
        guard let scan = fast else { return }
        fast = nil
        counts.rowsIn += scan.rowsIn
        if let groups = scan.groups { mergeTyped(groups) }
    }

    private mutating func mergeTyped(_ groups: FastGroups) {
        if fastGroups == nil {
            fastGroups = groups
        } else {
            fastGroups!.merge(groups, aggregates: plan.aggregates)
        }
    }

    private mutating func record(_ error: RowError) {
        counts.errors += 1
        if errors.count < Self.errorLimit { errors.append(error) }
    }

    /// Hands over the row errors kept so far (they stay counted in `statistics`).
    public mutating func takeErrors() -> [RowError] {
        defer { errors = [] }
        return errors
    }

    /// Hands over the output rows of a plain query found so far (streaming: no ORDER BY, DISTINCT).
    mutating func takePlainRows() -> [[SQLValue]] {
        defer { plainRows = [] }
        return plainRows.map(\.output)
    }

    /// Absorbs a partial query over other rows (the same plan).
    public mutating func merge(_ other: BoundedQuery) {
        counts.add(other.counts)
        errors += other.errors.prefix(Self.errorLimit - min(errors.count, Self.errorLimit))
        aggregation.merge(other.aggregation)
        // What the other's fast path folded stays typed: made into row-engine state, each of its
        // groups and sessions would cost an array of accumulators, hashed and merged by value.
        if let scan = other.fast {
            counts.rowsIn += scan.rowsIn
            if let groups = scan.groups { mergeTyped(groups) }
        }
        if let groups = other.fastGroups { mergeTyped(groups) }
        plainRows += other.plainRows
    }

    /// The result rows, after HAVING, DISTINCT, ORDER BY and LIMIT.
    public mutating func finish() -> ResultSet { finish(parallelism: 1) }

    /// The result rows, the windows' results computed on `parallelism` cores.
    mutating func finish(parallelism: Int) -> ResultSet {
        retireFastPath()
        let rows = plan.isAggregate ? groupRows(parallelism: parallelism) : plainRows
        let output = ResultShaping.finish(rows, plan: plan)
        counts.rowsOut = output.count
        return ResultSet(columns: plan.columns, rows: output)
    }

    /// The output rows of a grouped query (those HAVING accepts).
    private mutating func groupRows(parallelism: Int) -> [ProjectedRow] {
        let aggregates = plan.aggregates
        var results: [AggregationState.GroupResult]
        if let groups = fastGroups, aggregation.isEmpty {
            if groups.count > 0, let direct = DirectProjection(plan: plan) {
                return groups.results(aggregates: aggregates, window: plan.window, parallelism: parallelism) {
                    key,
                    window,
                    value in direct.row(key: key, window: window, value: value)
                }
            }
            results = groups.results(aggregates: aggregates, window: plan.window, parallelism: parallelism) {
                key,
                window,
                value in
                AggregationState.GroupResult(key: key, values: aggregates.indices.map(value), window: window)
            }
        } else {
            // Some rows needed the row engine: the typed groups join its state, which merges them
            // with its own by value.
            if let groups = fastGroups { aggregation.absorb(groups) }
            fastGroups = nil
            results = aggregation.allResults(parallelism: parallelism)
        }
        // A global aggregate over no rows still returns one row (count = 0), as in SQL.
        if results.isEmpty && plan.groupKeys.isEmpty && plan.window == nil {
            results = [AggregationState.GroupResult(key: [], values: aggregates.map { $0.result($0.initial()) })]
        }
        let projected = ResultShaping.project(results, plan: plan, parallelism: parallelism)
        for error in projected.errors {
            record(RowError(kind: .evaluation, position: nil, message: "\(error)"))
        }
        return projected.rows
    }
}
