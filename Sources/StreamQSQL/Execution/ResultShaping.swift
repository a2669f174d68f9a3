import Dispatch
import Synchronization

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

    /// The output rows of `results` in order (those HAVING accepts) and the errors of those that
    /// could not be evaluated, a million-row result cut into `parallelism` stretches projected at
    /// once, each through its own copy of the plan (sharing one, the cores would contend on the
    /// reference counts of its closures).
    static func project(
        _ results: [AggregationState.GroupResult],
        plan: QueryPlan,
        parallelism: Int
    ) -> (rows: [ProjectedRow], errors: [any Error]) {
        let parts = results.count < 4096 ? 1 : max(1, parallelism)
        if let direct = DirectProjection(plan: plan) {
            let pieces = Mutex([[ProjectedRow]](repeating: [], count: parts))
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let stretch = results[(results.count * part / parts)..<(results.count * (part + 1) / parts)]
                let rows = stretch.map { result in
                    direct.row(key: result.key, window: result.window) { result.values[$0] }
                }
                pieces.withLock { $0[part] = rows }
            }
            return (pieces.withLock { $0.flatMap { $0 } }, [])
        }
        let pieces = Mutex([(rows: [ProjectedRow], errors: [any Error])](repeating: ([], []), count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let ownPlan = parts == 1 ? plan : (try? QueryPlanner.plan(plan.statement)) ?? plan
            var rows: [ProjectedRow] = []
            var errors: [any Error] = []
            rows.reserveCapacity(results.count / parts + 1)
            for result in results[(results.count * part / parts)..<(results.count * (part + 1) / parts)] {
                do {
                    if let row = try project(result, plan: ownPlan) { rows.append(row) }
                } catch {
                    errors.append(error)
                }
            }
            pieces.withLock { $0[part] = (rows, errors) }
        }
        return pieces.withLock { pieces in
            parts == 1 ? pieces[0] : (pieces.flatMap(\.rows), pieces.flatMap(\.errors))
        }
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
