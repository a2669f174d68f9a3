/// An aggregate function's running state for one group (and window). Every state can absorb
/// another of its kind (``AggregateSpec/merge(_:into:)``): shards are aggregated in parallel and
/// session windows merge as gaps fill.
enum Accumulator: Sendable, Hashable, Codable {
    case count(Int64)
    /// The distinct values of an aggregate with DISTINCT, folded at the end.
    case distinct(Set<SQLValue>)
    /// Integers sum exactly in 128 bits, as DuckDB's hugeint sum does; any DOUBLE makes it a DOUBLE.
    case sum(integer: Int128, double: Double, isDouble: Bool, seen: Bool)
    case average(sum: Double, count: Int64)
    case extreme(SQLValue, greatest: Bool)
    /// Welford's running mean and squared deviations (merged with Chan et al.'s formula).
    case variance(count: Int64, mean: Double, m2: Double, standardDeviation: Bool)
    /// The first or last value by arrival time.
    case firstLast(SQLValue?, arrival: Int64, last: Bool)
    case extremeBy(value: SQLValue, key: SQLValue, greatest: Bool)
    case distinctCount(HyperLogLog)
    case quantile(QuantileSketch, fraction: Double)
}

/// One aggregate of a query: its function, argument(s), DISTINCT and FILTER.
///
/// Folding a row is split in two so a row is all-or-nothing: ``input(_:)`` evaluates the
/// arguments and can fail; ``fold(_:arrival:into:)`` cannot.
final class AggregateSpec: Sendable {
    let name: String
    let arguments: [CompiledExpression]
    let distinct: Bool
    let star: Bool
    let filter: CompiledExpression?
    let fraction: Double
    let location: SourceLocation
    /// The function takes numbers only (checked per row before anything is folded).
    let numericInput: Bool

    init(
        name: String,
        arguments: [CompiledExpression],
        distinct: Bool,
        star: Bool,
        filter: CompiledExpression? = nil,
        fraction: Double = 0.5,
        location: SourceLocation
    ) {
        self.name = name
        self.arguments = arguments
        self.distinct = distinct
        self.star = star
        self.filter = filter
        self.fraction = fraction
        self.location = location
        numericInput = ["sum", "avg", "stddev", "stddev_samp", "var_samp", "variance", "approx_percentile"].contains(
            name
        )
    }

    /// An aggregate's evaluated arguments for one row.
    enum Input {
        case skip
        case one(SQLValue)
        case two(SQLValue, SQLValue)
    }

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
        case "first": return .firstLast(nil, arrival: 0, last: false)
        case "last": return .firstLast(nil, arrival: 0, last: true)
        case "min_by": return .extremeBy(value: .null, key: .null, greatest: false)
        case "max_by": return .extremeBy(value: .null, key: .null, greatest: true)
        case "approx_count_distinct": return .distinctCount(HyperLogLog())
        default: return .quantile(QuantileSketch(), fraction: fraction)  // approx_percentile
        }
    }

    /// Evaluates FILTER and the arguments, checking their types.
    func input(_ row: SQLRow, fields: [SQLValue]) throws -> Input {
        if let filter, try filter(row) != .boolean(true) { return .skip }
        if star { return .one(.boolean(true)) }
        let value = try arguments[0].value(row, fields: fields)
        if arguments.count > 1 { return .two(value, try arguments[1].value(row, fields: fields)) }
        if numericInput, !value.isNull, ExpressionCompiler.number(value) == nil {
            throw EvaluationError(message: "\(name) needs numbers, got \(value)", location: location)
        }
        return .one(value)
    }

    /// Folds one row's evaluated input into `state`. The state's case says which aggregate it is,
    /// so this needs no spec (and the per-row loop touches no object).
    static func fold(_ input: Input, arrival: Int64, into state: inout Accumulator) {
        let value: SQLValue
        switch input {
        case .skip: return
        case .one(let one): value = one
        case .two(let one, let key):
            guard case .extremeBy(_, let bestKey, let greatest) = state, !key.isNull else { return }
            if bestKey.isNull || Self.order(key, bestKey).signum() == (greatest ? 1 : -1) {
                state = .extremeBy(value: one, key: key, greatest: greatest)
            }
            return
        }
        switch state {
        case .count(let n):
            if !value.isNull { state = .count(n + 1) }
        case .distinct(var values):
            guard !value.isNull else { return }
            state = .count(0)  // leaves `values` uniquely referenced, so insert does not copy it
            values.insert(value)
            state = .distinct(values)
        case .sum(let integer, let double, let isDouble, _):
            switch value {
            case .null: return
            case .integer(let x):
                state = .sum(integer: integer + Int128(x), double: double + Double(x), isDouble: isDouble, seen: true)
            default:
                state = .sum(
                    integer: integer,
                    double: double + (ExpressionCompiler.number(value) ?? 0),
                    isDouble: true,
                    seen: true
                )
            }
        case .average(let sum, let count):
            guard let x = ExpressionCompiler.number(value) else { return }
            state = .average(sum: sum + x, count: count + 1)
        case .extreme(let best, let greatest):
            guard !value.isNull else { return }
            if best.isNull || Self.order(value, best).signum() == (greatest ? 1 : -1) {
                state = .extreme(value, greatest: greatest)
            }
        case .variance(let count, let mean, let m2, let standardDeviation):
            guard let x = ExpressionCompiler.number(value) else { return }
            let n = count + 1
            let delta = x - mean
            let newMean = mean + delta / Double(n)
            state = .variance(
                count: n,
                mean: newMean,
                m2: m2 + delta * (x - newMean),
                standardDeviation: standardDeviation
            )
        case .firstLast(let kept, let keptArrival, let last):
            if kept == nil || (last ? arrival >= keptArrival : arrival < keptArrival) {
                state = .firstLast(value, arrival: arrival, last: last)
            }
        case .extremeBy:
            return
        case .distinctCount(var sketch):
            guard !value.isNull else { return }
            state = .count(0)
            sketch.insert(value)
            state = .distinctCount(sketch)
        case .quantile(var sketch, let fraction):
            guard let x = ExpressionCompiler.number(value) else { return }
            state = .count(0)
            sketch.insert(x)
            state = .quantile(sketch, fraction: fraction)
        }
    }

    /// Absorbs `other` (the same aggregate over other rows) into `state`.
    func merge(_ other: Accumulator, into state: inout Accumulator) {
        switch (state, other) {
        case (.count(let a), .count(let b)): state = .count(a + b)
        case (.distinct(var a), .distinct(let b)):
            state = .count(0)
            a.formUnion(b)
            state = .distinct(a)
        case (.sum(let i1, let d1, let f1, let s1), .sum(let i2, let d2, let f2, let s2)):
            state = .sum(integer: i1 + i2, double: d1 + d2, isDouble: f1 || f2, seen: s1 || s2)
        case (.average(let s1, let c1), .average(let s2, let c2)): state = .average(sum: s1 + s2, count: c1 + c2)
        case (.extreme, .extreme(let value, _)): Self.fold(.one(value), arrival: 0, into: &state)
        case (.variance(let n1, let mean1, let m1, let sd), .variance(let n2, let mean2, let m2, _)):
            guard n2 > 0 else { return }
            guard n1 > 0 else {
                state = other
                return
            }
            let n = n1 + n2
            let delta = mean2 - mean1
            state = .variance(
                count: n,
                mean: mean1 + delta * Double(n2) / Double(n),
                m2: m1 + m2 + delta * delta * Double(n1) * Double(n2) / Double(n),
                standardDeviation: sd
            )
        case (.firstLast, .firstLast(let value, let arrival, _)):
            if let value { Self.fold(.one(value), arrival: arrival, into: &state) }
        case (.extremeBy, .extremeBy(let value, let key, _)): Self.fold(.two(value, key), arrival: 0, into: &state)
        case (.distinctCount(var a), .distinctCount(let b)):
            state = .count(0)
            a.merge(b)
            state = .distinctCount(a)
        case (.quantile(var a, let fraction), .quantile(let b, _)):
            state = .count(0)
            a.merge(b)
            state = .quantile(a, fraction: fraction)
        default: break
        }
    }

    func result(_ state: Accumulator) -> SQLValue {
        switch state {
        case .count(let n): return .integer(n)
        case .distinct(let values):
            if name == "count" { return .integer(Int64(values.count)) }
            // The same aggregate, without DISTINCT, over the distinct values.
            let plain = AggregateSpec(name: name, arguments: [], distinct: false, star: false, location: location)
            var folded = plain.initial()
            for value in values { Self.fold(.one(value), arrival: 0, into: &folded) }
            return plain.result(folded)
        case .sum(let integer, let double, let isDouble, let seen):
            if !seen { return .null }
            if isDouble { return .double(double) }
            return Int64(exactly: integer).map(SQLValue.integer) ?? .double(Double(integer))
        case .average(let sum, let count): return count == 0 ? .null : .double(sum / Double(count))
        case .extreme(let value, _): return value
        case .variance(let count, _, let m2, let standardDeviation):
            guard count > 1 else { return .null }
            let variance = m2 / Double(count - 1)
            return .double(standardDeviation ? variance.squareRoot() : variance)
        case .firstLast(let value, _, _): return value ?? .null
        case .extremeBy(let value, _, _): return value
        case .distinctCount(let sketch): return .integer(sketch.estimate)
        case .quantile(let sketch, let fraction): return sketch.quantile(fraction).map(SQLValue.double) ?? .null
        }
    }

    /// A total order for MIN/MAX over schemaless records: values compare as SQL does when they
    /// can; otherwise by kind (booleans < numbers < strings < timestamps < intervals < JSON).
    static func order(_ a: SQLValue, _ b: SQLValue) -> Int {
        if let comparison = try? ExpressionCompiler.compare(a, b, SourceLocation(line: 0, column: 0, offset: 0)) {
            return comparison
        }
        return a.kindRank < b.kindRank ? -1 : (a.kindRank == b.kindRank ? 0 : 1)
    }
}

extension SQLValue {
    fileprivate var kindRank: Int {
        switch self {
        case .null: 0
        case .boolean: 1
        case .integer, .double: 2
        case .string: 3
        case .timestamp: 4
        case .interval: 5
        case .json: 6
        }
    }
}
