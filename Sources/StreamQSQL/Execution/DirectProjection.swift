/// The output rows of a grouped query whose every column is a group key, an aggregate or a window
/// bound as it is (no expression over them), without HAVING, ordered (if at all) by output
/// columns: each row is made straight from its group's key, values and window, with no row of
/// slots built and evaluated through closures. A million-row HOP or SESSION result is mostly this.
struct DirectProjection: Sendable {
    /// Where an output column comes from.
    enum Source: Sendable {
        case key(Int)
        case aggregate(Int)
        case windowStart
        case windowEnd
    }

    let sources: [Source]
    /// The output columns ORDER BY sorts by, in order.
    let sortColumns: [Int]

    /// Nil when the plan is not grouped, has HAVING, computes a column from slots, or sorts by
    /// something other than an output column.
    init?(plan: QueryPlan) {
        guard plan.isAggregate, plan.having == nil else { return nil }
        let keys = plan.groupKeys.count
        let aggregates = plan.aggregates.count
        var sources: [Source] = []
        for output in plan.outputs {
            guard let slot = output.slot else { return nil }
            switch slot {
            case ..<keys: sources.append(.key(slot))
            case ..<(keys + aggregates): sources.append(.aggregate(slot - keys))
            case keys + aggregates: sources.append(.windowStart)
            default: sources.append(.windowEnd)
            }
        }
        var sortColumns: [Int] = []
        for item in plan.order {
            guard let index = item.index else { return nil }
            sortColumns.append(index)
        }
        self.sources = sources
        self.sortColumns = sortColumns
    }

    /// The output row of one group.
    /// - Parameter value: the value of the aggregate at an index (asked once per column using it).
    @inline(__always)
    func row(
        key: [SQLValue],
        window: (start: Int64, end: Int64)?,
        value: (Int) -> SQLValue
    ) -> ProjectedRow {
        var output: [SQLValue] = []
        output.reserveCapacity(sources.count)
        for source in sources {
            switch source {
            case .key(let index): output.append(key[index])
            case .aggregate(let index): output.append(value(index))
            case .windowStart: output.append(window.map { .timestamp($0.start) } ?? .null)
            case .windowEnd: output.append(window.map { .timestamp($0.end) } ?? .null)
            }
        }
        return ProjectedRow(output: output, sortKeys: sortColumns.map { output[$0] })
    }
}
