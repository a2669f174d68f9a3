import StreamQJSON

/// The scalar functions of the v1 dialect, checked by name and argument count at compile time.
enum ScalarFunctions {
    typealias Implementation = @Sendable ([SQLValue], SourceLocation) throws -> SQLValue
    typealias Entry = (arity: ClosedRange<Int>, body: Implementation)

    /// name → (allowed argument counts, implementation). Implementations receive evaluated
    /// arguments; unless listed in `nullTolerant`, any NULL argument makes the result NULL.
    static let table: [String: Entry] = builtins.merging(
        CalendarFunctions.table.merging(NumericFunctions.table.merging(TextFunctions.table) { a, _ in a }) { a, _ in a }
    ) { a, _ in a }

    private static let builtins: [String: Entry] = [
        "lower": (1...1, { args, _ in .string(args[0].description.lowercased()) }),
        "upper": (1...1, { args, _ in .string(args[0].description.uppercased()) }),
        "length": (1...1, { args, _ in .integer(Int64(args[0].description.unicodeScalars.count)) }),
        "trim": (1...1, { args, _ in .string(args[0].description.trimmingSpaces) }),
        "replace": (
            3...3,
            { args, _ in
                .string(args[0].description.replacing(args[1].description, with: args[2].description))
            }
        ),
        "strpos": (
            2...2,
            { args, _ in
                // Positions and lengths count code points, as in DuckDB.
                let text = Array(args[0].description.unicodeScalars)
                let needle = Array(args[1].description.unicodeScalars)
                guard !needle.isEmpty else { return .integer(1) }
                for start in 0...max(0, text.count - needle.count) where start + needle.count <= text.count {
                    if Array(text[start..<(start + needle.count)]) == needle { return .integer(Int64(start + 1)) }
                }
                return .integer(0)
            }
        ),
        "starts_with": (2...2, { args, _ in .boolean(args[0].description.hasPrefix(args[1].description)) }),
        "substr": (
            2...3,
            { args, location in
                let text = Array(args[0].description.unicodeScalars)
                guard case .integer(let start) = args[1] else {
                    throw EvaluationError(message: "substr needs an integer start", location: location)
                }
                var length = Int64(text.count)
                if args.count == 3 {
                    guard case .integer(let given) = args[2] else {
                        throw EvaluationError(message: "substr needs an integer length", location: location)
                    }
                    length = given
                }
                // 1-based; positions before the start of the string still count (as in DuckDB).
                let (end, overflow) = start.addingReportingOverflow(max(0, length))
                let from = max(1, start)
                let to = min(Int64(text.count) + 1, overflow ? .max : end)
                return .string(
                    from < to ? String(String.UnicodeScalarView(text[Int(from - 1)..<Int(to - 1)])) : ""
                )
            }
        ),
        "split_part": (
            3...3,
            { args, location in
                guard case .integer(let index) = args[2] else {
                    throw EvaluationError(message: "split_part needs an integer index", location: location)
                }
                let separator = args[1].description
                let parts =
                    separator.isEmpty
                    ? [args[0].description]
                    : args[0].description.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
                let position = index > 0 ? Int(index) - 1 : parts.count + Int(index)
                return .string(position >= 0 && position < parts.count ? parts[position] : "")
            }
        ),
        "abs": (
            1...1,
            { args, location in
                switch args[0] {
                case .integer(let x):
                    guard x != .min else { throw EvaluationError(message: "integer overflow", location: location) }
                    return .integer(abs(x))
                case .double(let x): return .double(abs(x))
                default: throw EvaluationError(message: "abs needs a number", location: location)
                }
            }
        ),
        "round": (
            1...2,
            { args, location in
                // Places beyond what a double can show are clamped: round(x, 1000) is x, round(x, -1000) is 0.
                let requested = args.count == 2 ? (ExpressionCompiler.number(args[1]) ?? 0) : 0
                guard requested.isFinite else {
                    throw EvaluationError(message: "round needs a finite number of places", location: location)
                }
                let places = Int(max(-400, min(400, requested.rounded(.towardZero))))
                switch args[0] {
                case .integer: return args[0]
                case .double(let x):
                    if places > 17 { return .double(x) }
                    if places < -308 { return .double(0) }
                    var scale = 1.0
                    for _ in 0..<abs(places) { scale *= 10 }
                    let rounded =
                        places >= 0
                        ? (x * scale).rounded(.toNearestOrAwayFromZero) / scale
                        : (x / scale).rounded(.toNearestOrAwayFromZero) * scale
                    return .double(rounded.isFinite ? rounded : x)
                default: throw EvaluationError(message: "round needs a number", location: location)
                }
            }
        ),
        "floor": (1...1, { args, location in try rounding("floor", args[0], .down, location) }),
        "ceil": (1...1, { args, location in try rounding("ceil", args[0], .up, location) }),
        "sqrt": (1...1, { args, location in try math("sqrt", args[0], location) { $0 < 0 ? nil : $0.squareRoot() } }),
        "ln": (1...1, { args, location in try math("ln", args[0], location) { $0 <= 0 ? nil : log($0) } }),
        "pow": (
            2...2,
            { args, location in
                guard let x = ExpressionCompiler.number(args[0]), let y = ExpressionCompiler.number(args[1]) else {
                    throw EvaluationError(message: "pow needs numbers", location: location)
                }
                return .double(Foundationless.pow(x, y))
            }
        ),
        "nullif": (
            2...2,
            { args, location in
                try ExpressionCompiler.compare(args[0], args[1], location) == 0 ? .null : args[0]
            }
        ),
        "epoch_ms": (
            1...1,
            { args, location in
                guard let ms = EventTime.milliseconds(from: args[0]) else {
                    throw EvaluationError(message: "epoch_ms needs a time", location: location)
                }
                return .integer(ms)
            }
        ),
        "to_timestamp": (
            1...1,
            { args, location in
                guard let seconds = ExpressionCompiler.number(args[0]) else {
                    throw EvaluationError(message: "to_timestamp needs epoch seconds", location: location)
                }
                let milliseconds = (seconds * 1000).rounded()
                guard milliseconds.isFinite, abs(milliseconds) < 9.2e18 else {
                    throw EvaluationError(
                        message: "to_timestamp: \(seconds) seconds is out of range",
                        location: location
                    )
                }
                return .timestamp(Int64(milliseconds))
            }
        ),
        "date_trunc": (
            2...2,
            { args, location in
                guard let time = EventTime.milliseconds(from: args[1]) else {
                    throw EvaluationError(message: "date_trunc needs a time", location: location)
                }
                return .timestamp(try CalendarFunctions.truncate(time, to: args[0].description, location))
            }
        ),
        "extract": (
            2...2,
            { args, location in
                guard let time = EventTime.milliseconds(from: args[1]) else {
                    throw EvaluationError(message: "extract needs a time", location: location)
                }
                return try CalendarFunctions.extract(args[0].description, from: time, location)
            }
        ),
        "time_bucket": (
            2...2,
            { args, location in
                guard case .interval(let width) = args[0], width > 0 else {
                    throw EvaluationError(message: "time_bucket needs a positive INTERVAL first", location: location)
                }
                guard let time = EventTime.milliseconds(from: args[1]) else {
                    throw EvaluationError(message: "time_bucket needs a time", location: location)
                }
                return .timestamp(CalendarFunctions.bucket(time, width: width))
            }
        ),
        "json_value": (
            2...2,
            { args, location in
                guard case .string(let path) = args[1] else {
                    throw EvaluationError(message: "json_value needs a path such as '$.a.b[0]'", location: location)
                }
                let steps = try JSONPathText.parse(path, location)
                let text: String
                switch args[0] {
                case .json(let json), .string(let json): text = json
                default: return .null
                }
                do {
                    var bytes = Array(text.utf8)
                    let found = try bytes.withUnsafeMutableBytes {
                        try JSONFieldLookup.value(at: steps, in: UnsafeRawBufferPointer($0))
                    }
                    return SQLValue(json: found)
                } catch {
                    throw EvaluationError(message: "json_value: \(error)", location: location)
                }
            }
        ),
        "json_typeof": (
            1...1,
            { args, _ in
                switch args[0] {
                case .json(let text): return .string(text.hasPrefix("[") ? "array" : "object")
                case .string: return .string("string")
                case .integer, .double: return .string("number")
                case .boolean: return .string("boolean")
                default: return .string("unknown")
                }
            }
        ),
    ]

    /// Functions that see NULL arguments instead of returning NULL.
    static let nullTolerant: [String: Implementation] = [
        "coalesce": { args, _ in args.first { !$0.isNull } ?? .null },
        "greatest": { args, location in try extreme(args, location, keepGreater: true) },
        "least": { args, location in try extreme(args, location, keepGreater: false) },
        "concat": { args, _ in .string(args.filter { !$0.isNull }.map(\.description).joined()) },
        "hash": { args, _ in .integer(ValueHash.hash(args)) },
        "date_part": { args, location in
            guard args.count == 2 else {
                throw EvaluationError(message: "date_part(part, time) takes 2 arguments", location: location)
            }
            guard !args[1].isNull, let time = EventTime.milliseconds(from: args[1]) else { return .null }
            return try CalendarFunctions.extract(args[0].description, from: time, location)
        },
    ]

    static let aggregates = AggregateCatalog.names

    static let windows: Set<String> = ["tumble", "hop", "session"]

    static func compile(
        _ call: FunctionCall,
        arguments: [CompiledExpression],
        _ location: SourceLocation
    ) throws -> CompiledExpression {
        if aggregates.contains(call.name) {
            throw SQLError(
                "aggregate \(call.name)() is only allowed in the SELECT list or HAVING of a grouped query",
                at: location
            )
        }
        if windows.contains(call.name) {
            throw SQLError("window function \(call.name)() belongs in GROUP BY", at: location)
        }
        if call.name == "now" || call.name == "current_timestamp" {
            guard arguments.isEmpty else { throw SQLError("\(call.name)() takes no arguments", at: location) }
            let started = SQLValue.timestamp(FollowQueryRunner.wallClock())  // fixed for the query, as in DuckDB
            return CompiledExpression { _ in started }
        }
        if let regex = try RegexFunctions.compile(call, arguments: arguments, location) { return regex }
        if let time = try TimeFormatFunctions.compile(call, arguments: arguments, location) { return time }
        if let body = nullTolerant[call.name] {
            guard !arguments.isEmpty else { throw SQLError("\(call.name)() needs at least one argument", at: location) }
            return CompiledExpression { row in try body(try arguments.map { try $0(row) }, location) }
        }
        guard let entry = table[call.name] else {
            let suggestion = closest(call.name, in: SQLFunctionNames.all).map { "; did you mean \($0)()?" } ?? ""
            throw SQLError("unknown function \(call.name)()\(suggestion)", at: location)
        }
        guard entry.arity.contains(arguments.count) else {
            let expected =
                entry.arity.count == 1
                ? "\(entry.arity.lowerBound)" : "\(entry.arity.lowerBound) to \(entry.arity.upperBound)"
            throw SQLError(
                "\(call.name)() takes \(expected) argument\(entry.arity.upperBound == 1 ? "" : "s"), got \(arguments.count)",
                at: location
            )
        }
        if call.name == "make_timestamp", arguments.count != 1, arguments.count != 6 {
            throw SQLError(
                "make_timestamp() takes 1 argument (microseconds) or 6 (year, month, day, hour, minute, seconds), got \(arguments.count)",
                at: location
            )
        }
        let body = entry.body
        return CompiledExpression { row in
            var values: [SQLValue] = []
            values.reserveCapacity(arguments.count)
            for argument in arguments {
                let value = try argument(row)
                if value.isNull { return .null }
                values.append(value)
            }
            return try body(values, location)
        }
    }

    /// The known name nearest to `name` by edit distance, if it is close enough to be a typo.
    static func closest(_ name: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var previous = row[0]
                row[0] = i + 1
                for (j, y) in b.enumerated() {
                    let saved = row[j + 1]
                    row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (x == y ? 0 : 1))
                    previous = saved
                }
            }
            return row[b.count]
        }
        let scored = candidates.map { ($0, distance(Array(name), Array($0))) }.min { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let (best, score) = scored, score <= max(1, name.count / 3) else { return nil }
        return best
    }

    private static func rounding(
        _ function: String,
        _ value: SQLValue,
        _ rule: FloatingPointRoundingRule,
        _ location: SourceLocation
    ) throws -> SQLValue {
        switch value {
        case .integer: return value
        case .double(let x): return .double(x.rounded(rule))
        default: throw EvaluationError(message: "\(function) needs a number, got \(value)", location: location)
        }
    }

    /// `body` of `value` as a DOUBLE; `body` returns nil outside the function's domain.
    static func math(
        _ function: String,
        _ value: SQLValue,
        _ location: SourceLocation,
        _ body: (Double) -> Double?
    ) throws -> SQLValue {
        guard let x = ExpressionCompiler.number(value) else {
            throw EvaluationError(message: "\(function) needs a number, got \(value)", location: location)
        }
        guard let result = body(x) else {
            throw EvaluationError(
                message: "\(function)(\(x)) is undefined: out of the function's domain",
                location: location
            )
        }
        return .double(result)
    }

    private static func extreme(_ values: [SQLValue], _ location: SourceLocation, keepGreater: Bool) throws -> SQLValue
    {
        var best: SQLValue = .null
        for value in values where !value.isNull {
            if best.isNull {
                best = value
                continue
            }
            let order = try ExpressionCompiler.compare(value, best, location)
            if keepGreater ? order > 0 : order < 0 { best = value }
        }
        return best
    }
}

/// libm through Glibc, without Foundation.
enum Foundationless {
    static func pow(_ x: Double, _ y: Double) -> Double {
        #if canImport(Glibc)
        Glibc.pow(x, y)
        #else
        Darwin.pow(x, y)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
