/// `regexp_like` (alias `regexp_matches`), `regexp_full_match`, `regexp_extract` and `regexp_replace`. A constant
/// pattern is compiled once, when the query is planned, so a bad one is reported before any row.
enum RegexFunctions {
    static let names = ["regexp_like", "regexp_matches", "regexp_full_match", "regexp_extract", "regexp_replace"]

    /// The compiled call, or nil when `call` is not a regex function.
    static func compile(
        _ call: FunctionCall,
        arguments: [CompiledExpression],
        _ location: SourceLocation
    ) throws -> CompiledExpression? {
        let arity: ClosedRange<Int>
        switch call.name {
        case "regexp_like", "regexp_matches": arity = 2...2
        case "regexp_full_match": arity = 2...3
        case "regexp_extract": arity = 2...3
        case "regexp_replace": arity = 3...4
        default: return nil
        }
        guard arity.contains(arguments.count) else {
            throw SQLError(
                "\(call.name)() takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)") arguments",
                at: location
            )
        }
        guard case .literal(.string(let pattern), let patternLocation) = call.arguments[1] else {
            throw SQLError("\(call.name)() needs a constant pattern string", at: call.arguments[1].location)
        }
        var ignoresCase = false
        if call.name == "regexp_full_match", call.arguments.count == 3 {
            // DuckDB's options: 'c' case-sensitive (the default), 'i' case-insensitive; the last wins.
            guard case .literal(.string(let options), _) = call.arguments[2],
                options.allSatisfy({ $0 == "c" || $0 == "i" })
            else {
                throw SQLError(
                    "regexp_full_match's options must be a constant string of 'c' (case-sensitive) or 'i' (case-insensitive)",
                    at: call.arguments[2].location
                )
            }
            ignoresCase = options.last == "i"
        }
        let regex: Pattern
        do {
            let compiled = try Regex(pattern)
            regex = Pattern(ignoresCase ? compiled.ignoresCase() : compiled)
        } catch {
            throw SQLError("\(call.name): invalid regular expression '\(pattern)': \(error)", at: patternLocation)
        }
        let subject = arguments[0]
        switch call.name {
        case "regexp_extract":
            var group = 0
            if call.arguments.count == 3 {
                guard case .literal(.integer(let given), _) = call.arguments[2], given >= 0 else {
                    throw SQLError(
                        "regexp_extract's group must be a constant non-negative integer",
                        at: call.arguments[2].location
                    )
                }
                group = Int(given)
            }
            return CompiledExpression { [group] row in
                guard case .string(let text) = try subject(row) else { return .null }
                guard let match = try? regex.value.firstMatch(in: text) else { return .string("") }
                guard group < match.output.count, let substring = match.output[group].substring else {
                    return .string("")
                }
                return .string(String(substring))
            }
        case "regexp_replace":
            let replacement = arguments[2]
            var global = false
            if call.arguments.count == 4 {
                guard case .literal(.string(let options), _) = call.arguments[3] else {
                    throw SQLError(
                        "regexp_replace's options must be a constant string such as 'g'",
                        at: call.arguments[3].location
                    )
                }
                global = options.contains("g")
            }
            return CompiledExpression { [global] row in
                guard case .string(let text) = try subject(row) else { return .null }
                let with = try replacement(row)
                if with.isNull { return .null }
                return .string(
                    global
                        ? text.replacing(regex.value, with: with.description)
                        : text.replacing(regex.value, with: with.description, maxReplacements: 1)
                )
            }
        case "regexp_full_match":
            return CompiledExpression { row in
                guard case .string(let text) = try subject(row) else { return .null }
                return .boolean((try? regex.value.wholeMatch(in: text)) != nil)
            }
        default:
            return CompiledExpression { row in
                guard case .string(let text) = try subject(row) else { return .null }
                return .boolean((try? regex.value.firstMatch(in: text)) != nil)
            }
        }
    }

    /// A compiled pattern shared by a query's closures. Matching does not mutate it.
    struct Pattern: @unchecked Sendable {
        let value: Regex<AnyRegexOutput>
        init(_ value: Regex<AnyRegexOutput>) { self.value = value }
    }
}
