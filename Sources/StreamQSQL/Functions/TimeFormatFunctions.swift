/// `strftime(t, format)`, `strptime(text, format)` and `try_strptime(text, format)`. A constant
/// format is parsed once, when the query is planned, so an unknown code is reported before any row.
/// As in DuckDB, `strftime(format, t)` also works when the format is the only constant text.
enum TimeFormatFunctions {
    static let names = ["strftime", "strptime", "try_strptime"]

    /// The compiled call, or nil when `call` is not one of these functions.
    static func compile(
        _ call: FunctionCall,
        arguments: [CompiledExpression],
        _ location: SourceLocation
    ) throws -> CompiledExpression? {
        guard names.contains(call.name) else { return nil }
        guard arguments.count == 2 else {
            throw SQLError("\(call.name)() takes 2 arguments, got \(arguments.count)", at: location)
        }
        let name = call.name
        func isText(_ expression: Expression) -> Bool {
            if case .literal(.string, _) = expression { true } else { false }
        }
        let swapped = name == "strftime" && isText(call.arguments[0]) && !isText(call.arguments[1])
        let (subjectIndex, formatIndex) = swapped ? (1, 0) : (0, 1)
        let subject = arguments[subjectIndex]
        let formatArgument = arguments[formatIndex]
        var constant: TimeFormat?
        if case .literal(.string(let text), let formatLocation) = call.arguments[formatIndex] {
            do throws(TimeFormat.FormatError) {
                constant = try TimeFormat(text)
            } catch {
                throw SQLError("\(name): the format '\(text)' is not usable: \(error.reason)", at: formatLocation)
            }
        }
        let format: @Sendable (SQLRow) throws -> TimeFormat? = { [constant] row in
            if let constant { return constant }
            let value = try formatArgument(row)
            if value.isNull { return nil }
            do throws(TimeFormat.FormatError) {
                return try TimeFormat(value.description)
            } catch {
                throw EvaluationError(
                    message: "\(name): the format '\(value)' is not usable: \(error.reason)",
                    location: location
                )
            }
        }
        if name == "strftime" {
            return CompiledExpression { row in
                let value = try subject(row)
                guard !value.isNull, let format = try format(row) else { return .null }
                guard let time = EventTime.milliseconds(from: value) else {
                    throw EvaluationError(message: "strftime needs a time, got \(value)", location: location)
                }
                return .string(format.format(time))
            }
        }
        let orNull = name == "try_strptime"
        return CompiledExpression { row in
            let value = try subject(row)
            guard case .string(let text) = value else {
                // Only text is parsed; NULL stays NULL, and anything else is not a time written as text.
                if value.isNull || orNull { return .null }
                throw EvaluationError(message: "\(name) needs text, got \(value)", location: location)
            }
            guard let format = try format(row) else { return .null }
            switch format.parse(text) {
            case .success(let time): return .timestamp(time)
            case .failure(let failure):
                if orNull { return .null }
                throw EvaluationError(
                    message: "\(name) could not parse '\(text)' with the format '\(format.text)': \(failure.reason)",
                    location: location
                )
            }
        }
    }
}
