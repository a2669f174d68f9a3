/// An aggregate function's running state for one group (and window).
enum Accumulator: Sendable {
    case count(Int64)
    case distinct(Set<SQLValue>)
    case sum(integer: Int64, double: Double, isDouble: Bool, seen: Bool)
    case average(sum: Double, count: Int64)
    case extreme(SQLValue, greatest: Bool)
    /// Welford's running mean and squared deviations.
    case variance(count: Int64, mean: Double, m2: Double, standardDeviation: Bool)
    case firstLast(SQLValue?, last: Bool)
    case extremeBy(value: SQLValue, key: SQLValue, greatest: Bool)
    /// Values kept for an exact percentile (bounded by the group's rows; see the README).
    case percentile([Double], fraction: Double)
}

/// One aggregate of a query: its function, argument(s), DISTINCT and FILTER.
struct AggregateSpec: Sendable {
    var name: String
    var arguments: [CompiledExpression]
    var distinct: Bool
    var star: Bool
    var filter: CompiledExpression?
    var fraction: Double = 0.5
    var location: SourceLocation

    func initial() -> Accumulator {
        if distinct { return .distinct([]) }
        switch name {
        case "count": return .count(0)
        case "sum": return .sum(integer: 0, double: 0, isDouble: false, seen: false)
        case "avg": return .average(sum: 0, count: 0)
        case "min": return .extreme(.null, greatest: false)
        case "max": return .extreme(.null, greatest: true)
        case "stddev", "stddev_samp": return .variance(count: 0, mean: 0, m2: 0, standardDeviation: true)
        case "var_samp", "variance": return .variance(count: 0, mean: 0, m2: 0, standardDeviation: false)
        case "first": return .firstLast(nil, last: false)
        case "last": return .firstLast(nil, last: true)
        case "min_by": return .extremeBy(value: .null, key: .null, greatest: false)
        case "max_by": return .extremeBy(value: .null, key: .null, greatest: true)
        case "approx_count_distinct": return .distinct([])
        default: return .percentile([], fraction: fraction)  // approx_percentile
        }
    }

    /// Folds one row into `state`.
    func add(_ row: SQLRow, to state: inout Accumulator) throws {
        if let filter, try filter(row) != .boolean(true) { return }
        if star {
            if case .count(let n) = state { state = .count(n + 1) }
            return
        }
        let value = try arguments[0](row)
        switch state {
        case .distinct(var values):
            guard !value.isNull else { return }
            values.insert(value)
            state = .distinct(values)
        case .count(let n):
            if !value.isNull { state = .count(n + 1) }
        case .sum(let integer, let double, let isDouble, _):
            switch value {
            case .null: return
            case .integer(let x) where !isDouble:
                let (result, overflow) = integer.addingReportingOverflow(x)
                if overflow { throw EvaluationError(message: "sum overflows BIGINT", location: location) }
                state = .sum(integer: result, double: double + Double(x), isDouble: false, seen: true)
            default:
                guard let x = ExpressionCompiler.number(value) else {
                    throw EvaluationError(message: "sum needs numbers, got \(value)", location: location)
                }
                state = .sum(integer: integer, double: double + x, isDouble: true, seen: true)
            }
        case .average(let sum, let count):
            guard !value.isNull else { return }
            guard let x = ExpressionCompiler.number(value) else {
                throw EvaluationError(message: "avg needs numbers, got \(value)", location: location)
            }
            state = .average(sum: sum + x, count: count + 1)
        case .extreme(let best, let greatest):
            guard !value.isNull else { return }
            if best.isNull { state = .extreme(value, greatest: greatest); return }
            let order = try ExpressionCompiler.compare(value, best, location)
            if greatest ? order > 0 : order < 0 { state = .extreme(value, greatest: greatest) }
        case .variance(let count, let mean, let m2, let standardDeviation):
            guard !value.isNull else { return }
            guard let x = ExpressionCompiler.number(value) else {
                throw EvaluationError(message: "\(name) needs numbers, got \(value)", location: location)
            }
            let n = count + 1
            let delta = x - mean
            let newMean = mean + delta / Double(n)
            state = .variance(count: n, mean: newMean, m2: m2 + delta * (x - newMean), standardDeviation: standardDeviation)
        case .firstLast(let kept, let last):
            if kept == nil || last { state = .firstLast(value, last: last) }
        case .extremeBy(let best, let bestKey, let greatest):
            let key = try arguments[1](row)
            guard !key.isNull else { return }
            let better = try bestKey.isNull || ExpressionCompiler.compare(key, bestKey, location).signum() == (greatest ? 1 : -1)
            if better {
                state = .extremeBy(value: value, key: key, greatest: greatest)
            }
        case .percentile(var values, let fraction):
            guard let x = ExpressionCompiler.number(value) else { return }
            values.append(x)
            state = .percentile(values, fraction: fraction)
        }
    }

    func result(_ state: Accumulator) -> SQLValue {
        switch state {
        case .count(let n): return .integer(n)
        case .distinct(let values):
            if name == "count" || name == "approx_count_distinct" { return .integer(Int64(values.count)) }
            // The same aggregate, without DISTINCT, over the distinct values.
            let plain = AggregateSpec(
                name: name, arguments: [CompiledExpression { $0.slots[0] }], distinct: false, star: false, location: location)
            var folded = plain.initial()
            for value in values { try? plain.add(SQLRow(data: [], slots: [value]), to: &folded) }
            return plain.result(folded)
        case .sum(let integer, let double, let isDouble, let seen): return !seen ? .null : isDouble ? .double(double) : .integer(integer)
        case .average(let sum, let count): return count == 0 ? .null : .double(sum / Double(count))
        case .extreme(let value, _): return value
        case .variance(let count, _, let m2, let standardDeviation):
            guard count > 1 else { return .null }
            let variance = m2 / Double(count - 1)
            return .double(standardDeviation ? variance.squareRoot() : variance)
        case .firstLast(let value, _): return value ?? .null
        case .extremeBy(let value, _, _): return value
        case .percentile(let values, let fraction):
            guard !values.isEmpty else { return .null }
            let sorted = values.sorted()
            // Nearest rank, as DuckDB's quantile_disc: the value at ceil(fraction × n).
            let rank = max(1, Int((fraction * Double(sorted.count)).rounded(.up)))
            return .double(sorted[min(sorted.count, rank) - 1])
        }
    }
}
