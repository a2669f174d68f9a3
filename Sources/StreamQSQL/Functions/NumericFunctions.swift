#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sign`, `mod`, `log10`, `log2`, `exp` and `trunc`, for `ScalarFunctions.table`. Like `ln` and
/// `sqrt`, the logarithms refuse arguments outside their domain instead of returning -inf or NaN.
enum NumericFunctions {
    static let table: [String: ScalarFunctions.Entry] = [
        "sign": (
            1...1,
            { args, location in
                switch args[0] {
                case .integer(let x): return .integer(Int64(x.signum()))
                case .double(let x): return .integer(x > 0 ? 1 : x < 0 ? -1 : 0)  // NaN and -0.0 are 0, as in DuckDB
                default: throw EvaluationError(message: "sign needs a number, got \(args[0])", location: location)
                }
            }
        ),
        "mod": (
            2...2,
            { args, location in
                guard ExpressionCompiler.number(args[0]) != nil, ExpressionCompiler.number(args[1]) != nil else {
                    throw EvaluationError(
                        message: "mod needs numbers, got \(args[0]) and \(args[1])",
                        location: location
                    )
                }
                return try ExpressionCompiler.arithmetic(.modulo, args[0], args[1], location)
            }
        ),
        "log10": (
            1...1,
            { args, location in try ScalarFunctions.math("log10", args[0], location) { $0 <= 0 ? nil : log10($0) } }
        ),
        "log2": (
            1...1,
            { args, location in try ScalarFunctions.math("log2", args[0], location) { $0 <= 0 ? nil : log2($0) } }
        ),
        "exp": (1...1, { args, location in try ScalarFunctions.math("exp", args[0], location) { exp($0) } }),
        "trunc": (1...2, { args, location in try truncate(args, location) }),
    ]

    /// `trunc(x [, places])`: `x` cut toward zero, keeping `places` decimals (negative: tens,
    /// hundreds…). Integers stay integers.
    private static func truncate(_ args: [SQLValue], _ location: SourceLocation) throws -> SQLValue {
        var places: Int64 = 0
        if args.count == 2 {
            guard case .integer(let given) = args[1] else {
                throw EvaluationError(
                    message: "trunc needs a whole number of places, got \(args[1])",
                    location: location
                )
            }
            places = given
        }
        switch args[0] {
        case .integer(let x):
            guard places < 0 else { return args[0] }
            guard places > -19 else { return .integer(0) }
            var scale: Int64 = 1
            for _ in 0..<(-places) { scale *= 10 }
            return .integer(x - x % scale)
        case .double(let x):
            if places > 17 { return .double(x) }
            if places < -308 { return .double(0) }
            var scale = 1.0
            for _ in 0..<abs(places) { scale *= 10 }
            let cut = places >= 0 ? (x * scale).rounded(.towardZero) / scale : (x / scale).rounded(.towardZero) * scale
            return .double(cut.isFinite ? cut : x)
        default:
            throw EvaluationError(message: "trunc needs a number, got \(args[0])", location: location)
        }
    }
}
