/// A checked, compiled query: what to read, how to filter, group, window, aggregate and project.
public struct QueryPlan: Sendable {
    public var stream: String
    public var columns: [String]
    let filter: CompiledExpression?
    let window: WindowSpec?
    let groupKeys: [CompiledExpression]
    let aggregates: [AggregateSpec]
    /// Evaluated per input row (no aggregation) or per group (over slots).
    let outputs: [CompiledExpression]
    let having: CompiledExpression?
    let order: [(index: Int?, expression: CompiledExpression, descending: Bool, nullsFirst: Bool)]
    public var limit: Int64?
    let distinct: Bool
    public var isAggregate: Bool { window != nil || !groupKeys.isEmpty || !aggregates.isEmpty }
    public var statement: SelectStatement
    /// Extracts every JSON path the query reads in one pass per record.
    var extractor = FieldExtractor(paths: [])
    /// The query reads `_sequence` or `_shard`: callers must fill them in (otherwise they may not).
    public internal(set) var readsPosition = false
}

/// `TUMBLE(t, size)` or `HOP(t, slide, size)`: which windows a row's time falls in.
struct WindowSpec: Sendable {
    var time: CompiledExpression
    var size: Int64
    var slide: Int64
    var description: String

    /// Window starts containing `time`, oldest first (aligned to the epoch, `[start, start + size)`).
    func starts(containing time: Int64) -> [Int64] {
        let latest = floorDivide(time, slide) * slide
        var starts: [Int64] = []
        var start = latest
        while start + size > time {
            starts.append(start)
            start -= slide
        }
        return starts.reversed()
    }

    private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? q - 1 : q
    }
}
