/// Runs a ``QueryPlan`` over a finite set of rows (a stream's history): every window fires at the
/// end, so results are what a batch engine computes over the same records.
///
/// Rows that cannot be evaluated (not JSON where a field is needed, an unparseable event time, a
/// failed CAST) are counted and their first errors kept; they never stop the query.
public struct BoundedQuery {
    public let plan: QueryPlan
    public private(set) var statistics = QueryStatistics()
    /// The first row errors, with what went wrong (all are counted in `statistics.errors`).
    public private(set) var errors: [RowError] = []

    private var groups: [[SQLValue]: [Accumulator]] = [:]
    private var groupOrder: [[SQLValue]] = []
    private var plainRows: [(output: [SQLValue], sortKeys: [SQLValue])] = []

    public init(plan: QueryPlan) { self.plan = plan }

    /// Feeds one record.
    /// - Parameter position: the record's sequence number and shard, for error reports, when the
    ///   row does not carry them (computed only if the row fails).
    public mutating func add(_ row: SQLRow, position: (() -> (sequenceNumber: String, shard: String))? = nil) {
        statistics.rowsIn += 1
        var row = row
        do {
            if !plan.extractor.paths.isEmpty {
                do {
                    row.fields = try plan.extractor.extract(from: row.data)
                } catch {
                    throw EvaluationError(message: "the record is not valid JSON (\(error)); use _raw", location: plan.statement.source.location)
                }
            }
            if let filter = plan.filter, try filter(row) != .boolean(true) { return }
            guard plan.isAggregate else {
                let output = try plan.outputs.map { try $0(row) }
                let sortKeys = try plan.order.map { item in try item.index.map { output[$0] } ?? item.expression(row) }
                plainRows.append((output, sortKeys))
                return
            }
            let keys = try plan.groupKeys.map { try $0(row) }
            if let window = plan.window {
                let timeValue = try window.time(row)
                guard let time = EventTime.milliseconds(from: timeValue) else {
                    throw EvaluationError(message: "event time \(timeValue) is missing or not a time", location: plan.statement.source.location)
                }
                for start in window.starts(containing: time) { try accumulate(row, key: keys + [.timestamp(start)]) }
            } else {
                try accumulate(row, key: keys)
            }
        } catch {
            statistics.errors += 1
            if errors.count < 100 {
                let (sequenceNumber, shard) = position?() ?? (row.sequenceNumber, row.shard)
                errors.append(RowError(sequenceNumber: sequenceNumber, shard: shard, message: "\(error)"))
            }
        }
    }

    private mutating func accumulate(_ row: SQLRow, key: [SQLValue]) throws {
        if groups[key] == nil {
            groups[key] = plan.aggregates.map { $0.initial() }
            groupOrder.append(key)
        }
        for (index, aggregate) in plan.aggregates.enumerated() {
            try aggregate.add(row, to: &groups[key]![index])
        }
    }

    /// The result rows, after HAVING, DISTINCT, ORDER BY and LIMIT.
    public mutating func finish() -> ResultSet {
        var rows = plainRows
        if plan.isAggregate {
            // A global aggregate over no rows still returns one row (count = 0), as in SQL.
            if groupOrder.isEmpty && plan.groupKeys.isEmpty && plan.window == nil {
                groupOrder = [[]]
                groups[[]] = plan.aggregates.map { $0.initial() }
            }
            for key in groupOrder {
                let states = groups[key]!
                var slots = plan.window == nil ? key : Array(key.dropLast())
                slots += zip(plan.aggregates, states).map { $0.result($1) }
                if let window = plan.window, case .timestamp(let start) = key.last! {
                    slots += [.timestamp(start), .timestamp(start + window.size)]
                }
                let row = SQLRow(data: [], slots: slots)
                do {
                    if let having = plan.having, try having(row) != .boolean(true) { continue }
                    let output = try plan.outputs.map { try $0(row) }
                    let sortKeys = try plan.order.map { item in try item.index.map { output[$0] } ?? item.expression(row) }
                    rows.append((output, sortKeys))
                } catch {
                    statistics.errors += 1
                    if errors.count < 100 { errors.append(RowError(sequenceNumber: "", shard: "", message: "\(error)")) }
                }
            }
        }
        if plan.distinct {
            var seen = Set<[SQLValue]>()
            rows = rows.filter { seen.insert($0.output).inserted }
        }
        if !plan.order.isEmpty {
            let order = plan.order
            rows.sort { left, right in
                for (index, item) in order.enumerated() {
                    let a = left.sortKeys[index], b = right.sortKeys[index]
                    if a == b { continue }
                    if a.isNull || b.isNull { return a.isNull == item.nullsFirst }
                    let comparison = (try? ExpressionCompiler.compare(a, b, plan.statement.source.location)) ?? 0
                    if comparison != 0 { return item.descending ? comparison > 0 : comparison < 0 }
                }
                return false
            }
        }
        if let limit = plan.limit { rows = Array(rows.prefix(Int(limit))) }
        statistics.rowsOut = rows.count
        return ResultSet(columns: plan.columns, rows: rows.map(\.output))
    }
}

public struct QueryStatistics: Sendable, Equatable {
    public var rowsIn = 0
    public var rowsOut = 0
    public var errors = 0
}

public struct RowError: Sendable, Equatable {
    public var sequenceNumber: String
    public var shard: String
    public var message: String
}

public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]
}
