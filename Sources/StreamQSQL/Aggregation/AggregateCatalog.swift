/// The aggregate functions of the dialect: which names are aggregates, what each takes, and how a
/// call becomes an ``AggregateSpec`` (constant arguments checked when planning and kept out of the
/// per-row work).
enum AggregateCatalog {
    /// Aggregates of one argument (`count` also takes `*`).
    private static let unary: Set<String> = [
        "count", "sum", "avg", "min", "max", "stddev", "stddev_samp", "var_samp", "variance", "first", "last",
        "approx_count_distinct", "count_if", "bool_and", "bool_or", "median", "mode",
    ]
    /// The value at the minimum or maximum of a key; `arg_min`/`arg_max` are DuckDB's other names.
    private static let byKey: Set<String> = ["min_by", "max_by", "arg_min", "arg_max"]
    /// A value and a constant fraction between 0 and 1.
    private static let withFraction: Set<String> = ["approx_percentile", "quantile_cont", "quantile_disc"]

    /// Every aggregate's name.
    static let names: Set<String> = unary.union(byKey).union(withFraction).union(["string_agg", "approx_top_k"])

    /// Aggregates whose state holds every value of the group (or every distinct one, `mode`).
    static let holdingValues: Set<String> = ["median", "quantile_cont", "quantile_disc", "mode", "string_agg"]

    /// Largest k of `approx_top_k` (it keeps 16·k counters per group).
    static let maximumTopK = 10_000

    /// The aggregate `call` (whose name is in ``names``) checked and compiled.
    static func spec(_ call: FunctionCall, at location: SourceLocation) throws(SQLError) -> AggregateSpec {
        let name = call.name
        if call.star && name != "count" { throw SQLError("only count accepts *", at: location) }
        let arity: ClosedRange<Int> =
            call.star
            ? 0...0
            : unary.contains(name) ? 1...1 : name == "string_agg" ? 1...2 : 2...2
        guard arity.contains(call.arguments.count) else {
            let expected =
                arity.lowerBound == arity.upperBound
                ? "\(arity.lowerBound)" : "\(arity.lowerBound) or \(arity.upperBound)"
            throw SQLError(
                "\(name)() takes \(expected) argument\(arity.upperBound == 1 ? "" : "s"), got \(call.arguments.count)",
                at: location
            )
        }
        if !call.orderBy.isEmpty && name != "string_agg" {
            throw SQLError("ORDER BY inside an aggregate is supported by string_agg only", at: location)
        }
        var parameters = AggregateSpec.Parameters()
        var arguments = Array(call.arguments.prefix(1))
        if byKey.contains(name) {
            if call.distinct { throw SQLError("\(name)() does not take DISTINCT", at: location) }
            arguments.append(call.arguments[1])
        } else if withFraction.contains(name) {
            if case .literal(.list(let items), let listLocation) = call.arguments[1], name != "approx_percentile" {
                guard !items.isEmpty else {
                    throw SQLError("\(name) needs at least one fraction in the list", at: listLocation)
                }
                var fractions: [Double] = []
                for item in items { fractions.append(try fraction(.literal(item, listLocation), of: name)) }
                parameters.fractionList = fractions
            } else {
                parameters.fraction = try fraction(call.arguments[1], of: name)
            }
        } else if name == "approx_top_k" {
            guard case .literal(.integer(let k), _) = call.arguments[1], (1...Int64(maximumTopK)).contains(k) else {
                throw SQLError(
                    "approx_top_k needs a constant k between 1 and \(maximumTopK)",
                    at: call.arguments[1].location
                )
            }
            parameters.k = Int(k)
        } else if name == "string_agg" {
            if call.arguments.count == 2 {
                guard case .literal(.string(let separator), _) = call.arguments[1] else {
                    throw SQLError("string_agg needs a constant separator string", at: call.arguments[1].location)
                }
                parameters.separator = separator
            }
            if !call.orderBy.isEmpty {
                if call.distinct {
                    throw SQLError(
                        "string_agg(DISTINCT …) joins its values in ascending order; leave out ORDER BY",
                        at: location
                    )
                }
                parameters.order = call.orderBy.map { ($0.descending, $0.nullsFirst ?? false) }
                arguments += call.orderBy.map(\.expression)
            }
        }
        var compiled: [CompiledExpression] = []
        for argument in arguments { compiled.append(try ExpressionCompiler.compile(argument)) }
        return AggregateSpec(
            name: name,
            arguments: compiled,
            distinct: call.distinct,
            star: call.star,
            filter: try call.filter.map { expression throws(SQLError) in try ExpressionCompiler.compile(expression) },
            parameters: parameters,
            location: location
        )
    }

    private static func fraction(_ argument: Expression, of name: String) throws(SQLError) -> Double {
        let value: Double? =
            switch argument {
            case .literal(.integer(let number), _): Double(number)
            case .literal(.double(let number), _): number
            default: nil
            }
        guard let value, (0...1).contains(value) else {
            throw SQLError("\(name) needs a constant fraction between 0 and 1", at: argument.location)
        }
        return value
    }
}
