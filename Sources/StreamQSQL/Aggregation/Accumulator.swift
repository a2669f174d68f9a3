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
    /// `count_if`: the rows whose argument is true; `seen`: any non-NULL argument (else NULL, as
    /// DuckDB's count_if).
    case countTrue(Int64, seen: Bool)
    /// `bool_and` (`all`) or `bool_or`: nil until a non-NULL value.
    case logical(Bool?, all: Bool)
    /// Every non-NULL number (`median`, `quantile_cont`), sorted when the result is taken.
    case numbers([Double])
    /// Every non-NULL value (`quantile_disc`).
    case values([SQLValue])
    /// How often each non-NULL value occurred (`mode`).
    case frequencies([SQLValue: Int64])
    /// `string_agg`: every non-NULL value as text, in input order, with its ORDER BY keys.
    case texts([KeyedText])
    case heavyHitters(HeavyHitters)
}

extension Accumulator {
    /// Whether merging partial states gives exactly the state folding their rows one by one
    /// would: not for sums of fractional numbers (their rounding depends on the order of the
    /// additions), running variances, or sketches that compress as they go.
    var mergesLikeFolding: Bool {
        switch self {
        case .sum, .average, .variance, .quantile, .heavyHitters: false
        default: true
        }
    }

    /// Adds one row's number to a sum's or average's running sum of doubles, its other parts
    /// (integer sum, counts) merged apart (the fast path's addends, replayed in row order).
    mutating func addToRunningSum(_ number: Double) {
        switch self {
        case .sum(let integer, let double, let isDouble, let seen):
            self = .sum(integer: integer, double: double + number, isDouble: isDouble, seen: seen)
        case .average(let sum, let count): self = .average(sum: sum + number, count: count)
        default: break
        }
    }
}

/// A value of `string_agg` and the values it sorts by.
struct KeyedText: Sendable, Hashable, Codable {
    var text: String
    var keys: [SQLValue]
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
    /// The constant arguments.
    let parameters: Parameters
    let location: SourceLocation
    /// The function takes numbers only (checked per row before anything is folded).
    let numericInput: Bool
    /// The function takes booleans only (checked in ``input(_:fields:)``).
    let booleanInput: Bool

    /// The constant arguments of the aggregates that take them.
    struct Parameters: Sendable {
        /// `approx_percentile`, `quantile_cont`, `quantile_disc`; `median` is 0.5.
        var fraction = 0.5
        /// `quantile_cont(x, [f1, f2, …])`, `quantile_disc(…)`: a list of quantiles instead.
        var fractionList: [Double]?
        /// `string_agg`.
        var separator = ","
        /// `approx_top_k`.
        var k = 1
        /// `string_agg(… ORDER BY …)`: each key's direction.
        var order: [(descending: Bool, nullsFirst: Bool)] = []
    }

    /// - Parameter arguments: the argument, then `min_by`'s key or `string_agg`'s ORDER BY
    ///   expressions; constant arguments are in `parameters`.
    init(
        name: String,
        arguments: [CompiledExpression],
        distinct: Bool,
        star: Bool,
        filter: CompiledExpression? = nil,
        parameters: Parameters = Parameters(),
        location: SourceLocation
    ) {
        self.name = name
        self.arguments = arguments
        self.distinct = distinct
        self.star = star
        self.filter = filter
        self.parameters = parameters
        self.location = location
        numericInput = [
            "sum", "avg", "stddev", "stddev_samp", "var_samp", "variance", "approx_percentile", "median",
            "quantile_cont",
        ].contains(name)
        booleanInput = ["count_if", "bool_and", "bool_or"].contains(name)
    }

    /// The same aggregate without DISTINCT, to fold the distinct values at the end.
    private var withoutDistinct: AggregateSpec {
        AggregateSpec(
            name: name,
            arguments: [],
            distinct: false,
            star: false,
            parameters: parameters,
            location: location
        )
    }

    /// An aggregate's evaluated arguments for one row.
    enum Input {
        case skip
        case one(SQLValue)
        case two(SQLValue, SQLValue)
        /// `string_agg`'s value and its ORDER BY keys.
        case keyed(SQLValue, [SQLValue])
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
        case "min_by", "arg_min": return .extremeBy(value: .null, key: .null, greatest: false)
        case "max_by", "arg_max": return .extremeBy(value: .null, key: .null, greatest: true)
        case "approx_count_distinct": return .distinctCount(HyperLogLog())
        case "count_if": return .countTrue(0, seen: false)
        case "bool_and": return .logical(nil, all: true)
        case "bool_or": return .logical(nil, all: false)
        case "median", "quantile_cont": return .numbers([])
        case "quantile_disc": return .values([])
        case "mode": return .frequencies([:])
        case "string_agg": return .texts([])
        case "approx_top_k": return .heavyHitters(HeavyHitters(k: parameters.k))
        default: return .quantile(QuantileSketch(), fraction: parameters.fraction)  // approx_percentile
        }
    }

    /// Evaluates FILTER and the arguments, checking their types.
    func input(_ row: SQLRow, fields: [SQLValue]) throws -> Input {
        if let filter, try filter(row) != .boolean(true) { return .skip }
        if star { return .one(.boolean(true)) }
        let value = try arguments[0].value(row, fields: fields)
        if !parameters.order.isEmpty {
            return .keyed(value, try arguments[1...].map { try $0.value(row, fields: fields) })
        }
        if arguments.count > 1 { return .two(value, try arguments[1].value(row, fields: fields)) }
        if numericInput, !value.isNull, ExpressionCompiler.number(value) == nil {
            throw EvaluationError(message: "\(name) needs numbers, got \(value)", location: location)
        }
        if booleanInput, !value.isNull {
            guard case .boolean = value else {
                throw EvaluationError(message: "\(name) needs booleans, got \(value)", location: location)
            }
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
        case .keyed(let one, let keys):
            guard case .texts(var texts) = state, !one.isNull else { return }
            state = .count(0)
            texts.append(KeyedText(text: Self.text(one), keys: keys))
            state = .texts(texts)
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
        case .countTrue(let n, _):
            guard !value.isNull else { return }
            state = .countTrue(value == .boolean(true) ? n + 1 : n, seen: true)
        case .logical(let kept, let all):
            guard case .boolean(let flag) = value else { return }
            state = .logical(all ? (kept ?? true) && flag : (kept ?? false) || flag, all: all)
        case .numbers(var numbers):
            guard let x = ExpressionCompiler.number(value) else { return }
            state = .count(0)
            numbers.append(x)
            state = .numbers(numbers)
        case .values(var values):
            guard !value.isNull else { return }
            state = .count(0)
            values.append(value)
            state = .values(values)
        case .frequencies(var counts):
            guard !value.isNull else { return }
            state = .count(0)
            counts[value, default: 0] += 1
            state = .frequencies(counts)
        case .texts(var texts):
            guard !value.isNull else { return }
            state = .count(0)
            texts.append(KeyedText(text: Self.text(value), keys: []))
            state = .texts(texts)
        case .heavyHitters(var sketch):
            guard !value.isNull else { return }
            state = .count(0)
            sketch.insert(value)
            state = .heavyHitters(sketch)
        }
    }

    /// A value as `string_agg` joins it: as CAST(value AS VARCHAR) gives it.
    private static func text(_ value: SQLValue) -> String {
        if case .timestamp(let milliseconds) = value { return EventTime.iso8601(milliseconds) }
        return value.description
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
        case (.countTrue(let a, let seenA), .countTrue(let b, let seenB)):
            state = .countTrue(a + b, seen: seenA || seenB)
        case (.logical, .logical(let flag, _)):
            if let flag { Self.fold(.one(.boolean(flag)), arrival: 0, into: &state) }
        case (.numbers(var a), .numbers(let b)):
            state = .count(0)
            a += b
            state = .numbers(a)
        case (.values(var a), .values(let b)):
            state = .count(0)
            a += b
            state = .values(a)
        case (.frequencies(var a), .frequencies(let b)):
            state = .count(0)
            a.merge(b, uniquingKeysWith: +)
            state = .frequencies(a)
        case (.texts(var a), .texts(let b)):
            state = .count(0)
            a += b
            state = .texts(a)
        case (.heavyHitters(var a), .heavyHitters(let b)):
            state = .count(0)
            a.merge(b)
            state = .heavyHitters(a)
        default: break
        }
    }

    func result(_ state: Accumulator) -> SQLValue {
        switch state {
        case .count(let n): return .integer(n)
        case .distinct(let values):
            if name == "count" { return .integer(Int64(values.count)) }
            // The same aggregate, without DISTINCT, over the distinct values in ascending order
            // (a set has no order of its own: this keeps string_agg(DISTINCT …) deterministic).
            let plain = withoutDistinct
            var folded = plain.initial()
            for value in values.sorted(by: { Self.order($0, $1) < 0 }) {
                Self.fold(.one(value), arrival: 0, into: &folded)
            }
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
        case .countTrue(let n, let seen): return seen ? .integer(n) : .null
        case .logical(let flag, _): return flag.map(SQLValue.boolean) ?? .null
        case .numbers(let numbers):
            guard let list = parameters.fractionList else {
                return ExactQuantile.continuous(numbers, [parameters.fraction])[0]
            }
            return numbers.isEmpty ? .null : .jsonList(ExactQuantile.continuous(numbers, list))
        case .values(let values):
            guard let list = parameters.fractionList else {
                return ExactQuantile.discrete(values, [parameters.fraction])[0]
            }
            return values.isEmpty ? .null : .jsonList(ExactQuantile.discrete(values, list))
        case .frequencies(let counts):
            let best = counts.min { left, right in
                left.value != right.value ? left.value > right.value : Self.order(left.key, right.key) < 0
            }
            return best?.key ?? .null
        case .texts(let texts): return joined(texts)
        case .heavyHitters(let sketch): return sketch.counters.isEmpty ? .null : .jsonList(sketch.top)
        }
    }

    /// `string_agg`'s result: the texts in input order, or sorted by their ORDER BY keys (stable).
    private func joined(_ texts: [KeyedText]) -> SQLValue {
        guard !texts.isEmpty else { return .null }
        let order = parameters.order
        guard !order.isEmpty else { return .string(texts.map(\.text).joined(separator: parameters.separator)) }
        let sorted = texts.indices.sorted { left, right in
            for (index, direction) in order.enumerated() {
                let a = texts[left].keys[index]
                let b = texts[right].keys[index]
                if a == b { continue }
                if a.isNull || b.isNull { return a.isNull == direction.nullsFirst }
                let comparison = Self.order(a, b)
                if comparison != 0 { return direction.descending ? comparison > 0 : comparison < 0 }
            }
            return left < right
        }
        return .string(sorted.map { texts[$0].text }.joined(separator: parameters.separator))
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
