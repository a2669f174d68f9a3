/// The per-result half of a query: HAVING and the SELECT list over each group's result, then
/// DISTINCT, ORDER BY and LIMIT over the rows.
enum ResultShaping {
    /// The output row of a group, or nil when HAVING rejects it.
    static func project(_ result: AggregationState.GroupResult, plan: QueryPlan) throws -> ProjectedRow? {
        var slots = result.key + result.values
        if let window = result.window { slots += [.timestamp(window.start), .timestamp(window.end)] }
        let row = SQLRow(slots: slots)
        if let having = plan.having, try having(row) != .boolean(true) { return nil }
        let output = try plan.outputs.map { try $0(row) }
        let sortKeys = try plan.order.map { item in try item.index.map { output[$0] } ?? item.expression(row) }
        return ProjectedRow(output: output, sortKeys: sortKeys)
    }

    /// DISTINCT, ORDER BY and LIMIT.
    /// - Parameter limit: how many rows may still be returned (default: the plan's LIMIT).
    static func finish(_ rows: [ProjectedRow], plan: QueryPlan, limit: Int? = nil) -> [[SQLValue]] {
        var rows = rows
        if plan.distinct {
            var seen = Set<[SQLValue]>()
            rows = rows.filter { seen.insert($0.output).inserted }
        }
        if !plan.order.isEmpty {
            let order = plan.order
            rows.sort { left, right in
                for (index, item) in order.enumerated() {
                    let a = left.sortKeys[index]
                    let b = right.sortKeys[index]
                    if a == b { continue }
                    if a.isNull || b.isNull { return a.isNull == item.nullsFirst }
                    let comparison = AggregateSpec.order(a, b)
                    if comparison != 0 { return item.descending ? comparison > 0 : comparison < 0 }
                }
                return false
            }
        }
        if let limit = limit ?? plan.limit.map(Int.init) { rows = Array(rows.prefix(limit)) }
        return rows.map(\.output)
    }
}
