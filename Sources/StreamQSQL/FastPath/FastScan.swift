import StreamQJSON

/// The fast path of a bounded query: the common shapes (a WHERE of comparisons, GROUP BY fields
/// with a TUMBLE, HOP or SESSION window, count/sum/avg/min/max of fields) evaluated on typed values read
/// straight from each record's bytes, with no ``SQLValue``, closure call or allocation per row.
///
/// It takes a record only when it gets exactly the row engine's result; any other record (a value
/// of another type than the fast path reads, text beyond ASCII, a missing event time, anything that
/// would be an error) is declined and goes through ``RowPipeline`` as before. Aggregates merge, so
/// the two halves of a query add up to the row engine's answer.
struct FastScan: Sendable {
    private let extractor: FieldExtractor
    /// Scratch space for one record's values (copied queries get their own before writing).
    private var values: FastValueBuffer
    private let filter: FastPredicate?
    /// nil for a plain (ungrouped) query, whose fast path only rejects rows WHERE rejects.
    private(set) var groups: FastGroups?
    private let window: (kind: WindowSpec.Kind, size: Int64, paneWidth: Int64, timeField: Int?)?
    /// Follow mode: rows whose every window ended `retention` before this watermark are late
    /// (``Outcome/late(_:)``); `.min` (bounded queries) lets every row in.
    var watermark: Int64 = .min
    var retention: Int64 = 0
    /// The newest event time of the rows folded (nil before the first, or without a window).
    private(set) var newestEventTime: Int64?
    /// Rows taken.
    private(set) var rowsIn = 0
    /// Rows offered, and declined, while deciding whether the fast path pays.
    private var offered = 0
    private var declined = 0
    /// False once most rows turned out to need the row engine anyway.
    private(set) var isWorthwhile = true

    /// The fast path for `plan`, or nil when the query has a part it does not evaluate.
    /// - Parameter follow: for a follow query, whose state must come out as folding its rows in
    ///   order would: sums and averages keep their addends, and aggregates whose partial states
    ///   merge otherwise (variance, sketches) are left to the row engine.
    init?(plan: QueryPlan, follow: Bool = false) {
        let extractor = plan.extractor
        guard extractor.isFlat else { return nil }
        let paths = extractor.paths
        func field(_ path: [PathComponent]) -> Int? {
            guard path.count == 1, case .key(let name) = path[0] else { return nil }
            return paths.firstIndex(of: [.key(name)])
        }
        var filterFields = Set<Int>()
        if let where_ = plan.statement.filter {
            let predicate = FastPredicate(where_) { path in
                let index = field(path)
                if let index { filterFields.insert(index) }
                return index
            }
            guard let predicate else { return nil }
            filter = predicate
        } else {
            filter = nil
        }
        if plan.isAggregate {
            if let window = plan.window {
                let timeField = window.isProcessingTime ? nil : window.time.fieldIndex
                guard window.isProcessingTime || timeField != nil else { return nil }
                self.window = (window.kind, window.size, window.slide, timeField)
            } else {
                self.window = nil
            }
            var keyFields: [Int] = []
            for key in plan.groupKeys {
                guard let index = key.fieldIndex else { return nil }
                keyFields.append(index)
            }
            // count(DISTINCT) counts in typed sets where no two groups' counts are ever joined: each
            // group is a window of its own (no window, TUMBLE, a HOP of one pane). HOP windows of
            // several panes and SESSION windows keep the row engine's sets.
            let panesStayApart =
                plan.window.map { $0.kind == .tumble || ($0.kind == .hop && $0.size == $0.slide) } ?? true
            var distinctSets = 0
            var aggregates: [FastGroups.Aggregate] = []
            for spec in plan.aggregates {
                guard spec.filter == nil else { return nil }
                if spec.star {
                    aggregates.append(.init(function: .countStar, field: 0))
                    continue
                }
                guard spec.arguments.count == 1, let index = spec.arguments[0].fieldIndex else { return nil }
                let function: FastGroups.Aggregate.Function
                switch (spec.name, spec.distinct) {
                case ("count", false): function = .count
                case ("sum", false): function = .sum
                case ("avg", false): function = .average
                case ("min", false): function = .minimum
                case ("max", false): function = .maximum
                case ("count", true) where panesStayApart:
                    function = .countDistinct(set: distinctSets)
                    distinctSets += 1
                case (_, true) where Self.plainDistinctAggregates.contains(spec.name),
                    (_, false) where Self.accumulatorAggregates.contains(spec.name):
                    function = .accumulator(initial: spec.initial(), numeric: spec.numericInput)
                default: return nil
                }
                if follow, case .accumulator(let initial, _) = function, !initial.mergesLikeFolding { return nil }
                aggregates.append(.init(function: function, field: index))
            }
            if follow && plan.window?.kind == .session
                && aggregates.contains(where: { $0.function == .sum || $0.function == .average })
            {
                return nil  // a session's addends would have to follow it through merges
            }
            groups = FastGroups(
                aggregates: aggregates,
                keyFields: keyFields,
                sessionGap: plan.window?.kind == .session ? plan.window?.size : nil
            )
            groups?.keepsAddends = follow
        } else {
            // A plain query gains only by rejecting rows without building them.
            guard filter != nil else { return nil }
            groups = nil
            window = nil
        }
        self.extractor = extractor
        // A plain query's fast path reads only WHERE's fields (a row it accepts goes to the row
        // engine, which extracts the rest): its other numbers are passed over, not parsed.
        let plain = groups == nil
        values = FastValueBuffer(parsesNumber: paths.indices.map { !plain || filterFields.contains($0) })
    }

    /// Aggregates of one field whose row-engine input check is only "numbers or NULL" (when
    /// `numericInput`), folded through their accumulators. Not first/last: rows arriving in the
    /// same millisecond tie, and which one wins would depend on which path took it.
    private static let accumulatorAggregates: Set<String> = [
        "approx_count_distinct", "approx_percentile", "stddev", "stddev_samp", "var_samp", "variance",
    ]
    /// Aggregates whose DISTINCT form (a set of values) the fast path folds.
    private static let plainDistinctAggregates: Set<String> = ["count", "sum", "avg", "min", "max"]

    /// What became of a record offered to the fast path.
    enum Outcome: Equatable {
        /// Done with: rejected by WHERE, or folded.
        case taken
        /// The row engine must take it (as if the fast path had not seen it).
        case declined
        /// Behind the watermark (follow mode), at this event time: nothing was folded.
        case late(Int64)
    }

    /// Takes one record if the fast path can.
    @inline(__always)
    mutating func take(_ data: UnsafeRawBufferPointer, arrivalMilliseconds: Int64) -> Outcome {
        if !isKnownUniquelyReferenced(&values) {
            values = FastValueBuffer(parsesNumber: Array(UnsafeBufferPointer(values.parsesNumber)))
        }
        let outcome = takeRow(
            data,
            arrivalMilliseconds: arrivalMilliseconds,
            values: values.values,
            parsesNumber: UnsafeBufferPointer(values.parsesNumber),
            layout: values.layout
        )
        if outcome == .declined {
            declined += 1
        } else {
            rowsIn += 1
        }
        offered += 1
        if offered == 4096 {
            // Most rows need the row engine anyway (a WHERE most rows pass, values of other
            // types): reading them twice would cost more than it saves.
            isWorthwhile = declined * 2 < offered
        }
        return outcome
    }

    @inline(__always)
    private mutating func takeRow(
        _ data: UnsafeRawBufferPointer,
        arrivalMilliseconds: Int64,
        values: UnsafeMutableBufferPointer<FastValue>,
        parsesNumber: UnsafeBufferPointer<Bool>,
        layout: FastKeyLayout
    ) -> Outcome {
        if !values.isEmpty,
            !extractor.extractFast(from: data, into: values, parsesNumber: parsesNumber, layout: layout)
        {
            return .declined
        }
        // Evaluated in place (binding the predicate to a local would retain it per record).
        switch filter?.evaluate(values, record: data) {
        case nil, .isTrue: break
        case .isFalse, .isNull: return .taken
        case .undecided: return .declined
        }
        guard groups != nil else { return .declined }  // a plain row WHERE accepts: the row engine projects it
        guard groups!.accepts(values) else { return .declined }
        guard let window else {
            return groups!.add(values, record: data, arrival: arrivalMilliseconds, paneStart: 0) ? .taken : .declined
        }
        let time: Int64
        if let field = window.timeField {
            let value = values[field]
            guard value.isNumber, let milliseconds = EventTime.fromEpoch(value.number) else { return .declined }
            time = milliseconds
        } else {
            time = arrivalMilliseconds
        }
        let folded: Bool
        if window.kind == .session {
            // The same test as AggregationState.isLate: every window of the row has closed.
            if time + window.size + retention <= watermark { return .late(time) }
            folded = groups!.addToSession(values, record: data, arrival: arrivalMilliseconds, time: time)
        } else {
            let (quotient, remainder) = time.quotientAndRemainder(dividingBy: window.paneWidth)
            let paneStart = (remainder < 0 ? quotient - 1 : quotient) * window.paneWidth
            if paneStart + window.size + retention <= watermark { return .late(time) }
            folded = groups!.add(values, record: data, arrival: arrivalMilliseconds, paneStart: paneStart)
        }
        guard folded else { return .declined }
        newestEventTime = max(newestEventTime ?? .min, time)
        return .taken
    }
}

/// One worker's extracted values, reused from record to record, which of them are numbers to parse,
/// and the key layout its records taught it. Only the ``FastScan`` holding the sole reference
/// writes to it.
final class FastValueBuffer: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<FastValue>
    let parsesNumber: UnsafeMutableBufferPointer<Bool>
    let layout = FastKeyLayout()

    init(parsesNumber flags: [Bool]) {
        values = .allocate(capacity: flags.count)
        values.initialize(repeating: .null)
        parsesNumber = .allocate(capacity: flags.count)
        _ = parsesNumber.initialize(from: flags)
    }

    deinit {
        values.deallocate()
        parsesNumber.deallocate()
        layout.deallocate()
    }
}
