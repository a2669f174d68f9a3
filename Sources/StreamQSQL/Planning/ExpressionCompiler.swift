import StreamQJSON
import StreamQStorage
import Synchronization

/// An expression turned into a function of a row.
public struct CompiledExpression: Sendable {
    let evaluate: @Sendable (SQLRow) throws -> SQLValue
    /// When the expression is just a JSON field, its index in the row's extracted fields: hot
    /// loops read it directly instead of calling `evaluate`.
    let fieldIndex: Int?
    /// When the expression is just a computed slot (a group key, an aggregate, a window bound),
    /// its index in the row's slots: results are made without evaluating it over a row.
    let slot: Int?

    init(
        fieldIndex: Int? = nil,
        slot: Int? = nil,
        _ evaluate: @escaping @Sendable (SQLRow) throws -> SQLValue
    ) {
        self.evaluate = evaluate
        self.fieldIndex = fieldIndex
        self.slot = slot
    }

    /// The value for `row`, whose fields are `fields` (extracted by the plan's FieldExtractor).
    @inline(__always)
    func value(_ row: SQLRow, fields: [SQLValue]) throws -> SQLValue {
        if let fieldIndex { return fields[fieldIndex] }
        return try evaluate(row)
    }

    func callAsFunction(_ row: SQLRow) throws -> SQLValue { try evaluate(row) }

    /// Evaluates the expression over one record.
    public func callAsFunction(_ record: SQLRecord) throws -> SQLValue { try record.withRow { try evaluate($0) } }
}

/// Compiles scalar expressions (no aggregates) into closures over rows, resolving names and
/// functions up front so that unknown ones are reported before any record is read.
///
/// Semantics follow DuckDB where the dialect is silent: NULL propagates, AND/OR are three-valued,
/// `/` of two integers is a DOUBLE, division or modulo by zero is NULL, integer overflow is an error.
public enum ExpressionCompiler {
    /// - Parameter slots: names that read a computed value of the row (`SQLRow.slots`) instead of
    ///   a field of the record: group keys, aggregates and window bounds after aggregation.
    public static func compile(_ expression: Expression) throws(SQLError) -> CompiledExpression {
        try compile(expression, slots: [:])
    }

    static func compile(_ expression: Expression, slots: [String: Int]) throws(SQLError) -> CompiledExpression {
        do {
            return try SlotNames.$current.withValue(slots) { try build(expression) }
        } catch let error as SQLError {
            throw error
        } catch {
            throw SQLError("\(error)", at: expression.location)
        }
    }

    private static func build(_ expression: Expression) throws -> CompiledExpression {
        switch expression {
        case .literal(let literal, let location):
            guard let value = constant(literal) else {
                throw SQLError(
                    "a list is only allowed as the fractions of quantile_cont or quantile_disc",
                    at: location
                )
            }
            return CompiledExpression { _ in value }
        case .field(let path, let location):
            return try field(path, location)
        case .unary(.not, let operand, _):
            let inner = try build(operand)
            return CompiledExpression { row in
                switch try inner(row) {
                case .null: .null
                case .boolean(let value): .boolean(!value)
                default: throw EvaluationError(message: "NOT needs a boolean", location: operand.location)
                }
            }
        case .unary(.negate, let operand, let location):
            let inner = try build(operand)
            return CompiledExpression { row in
                switch try inner(row) {
                case .null: return .null
                case .integer(let value):
                    let (result, overflow) = Int64(0).subtractingReportingOverflow(value)
                    if overflow { throw EvaluationError(message: "integer overflow", location: location) }
                    return .integer(result)
                case .double(let value): return .double(-value)
                case .interval(let value): return .interval(-value)
                default: throw EvaluationError(message: "cannot negate a non-number", location: location)
                }
            }
        case .binary(let op, let left, let right, let location):
            return try binary(op, try build(left), try build(right), location)
        case .between(let value, let low, let high, let negated, let location):
            let test = try binary(
                .and,
                try binary(.greaterOrEqual, try build(value), try build(low), location),
                try binary(.lessOrEqual, try build(value), try build(high), location),
                location
            )
            return negated ? not(test, location) : test
        case .inList(let value, let list, let negated, let location):
            let subject = try build(value)
            let candidates = try list.map(build)
            let test = CompiledExpression { row in
                let left = try subject(row)
                if left.isNull { return .null }
                var sawNull = false
                for candidate in candidates {
                    let right = try candidate(row)
                    if right.isNull {
                        sawNull = true
                        continue
                    }
                    if try compare(left, right, location) == 0 { return .boolean(true) }
                }
                return sawNull ? .null : .boolean(false)
            }
            return negated ? not(test, location) : test
        case .like(let value, let pattern, let caseInsensitive, let negated, let location):
            let subject = try build(value)
            let patternValue = try build(pattern)
            let test = CompiledExpression { row in
                guard case .string(var text) = try subject(row), case .string(var glob) = try patternValue(row) else {
                    return .null
                }
                if caseInsensitive {
                    text = text.lowercased()
                    glob = glob.lowercased()
                }
                return .boolean(likeMatches(Array(text.unicodeScalars), Array(glob.unicodeScalars)))
            }
            return negated ? not(test, location) : test
        case .isNull(let value, let negated, _):
            let subject = try build(value)
            return CompiledExpression { row in .boolean(try subject(row).isNull != negated) }
        case .caseWhen(let operand, let branches, let otherwise, let location):
            let subject = try operand.map(build)
            let compiled = try branches.map { (try build($0.condition), try build($0.result)) }
            let fallback = try otherwise.map(build)
            return CompiledExpression { row in
                let operandValue = try subject?(row)
                for (condition, result) in compiled {
                    let test = try condition(row)
                    if let operandValue {
                        if !operandValue.isNull, !test.isNull, try compare(operandValue, test, location) == 0 {
                            return try result(row)
                        }
                    } else if test == .boolean(true) {
                        return try result(row)
                    }
                }
                return try fallback?(row) ?? .null
            }
        case .cast(let value, let type, let isTry, let location):
            let inner = try build(value)
            return CompiledExpression { row in
                do {
                    return try cast(try inner(row), to: type, location)
                } catch let error as EvaluationError where isTry {
                    _ = error
                    return .null
                }
            }
        case .call(let call, let location):
            if !call.orderBy.isEmpty, !AggregateCatalog.names.contains(call.name) {
                throw SQLError("ORDER BY inside a call is supported by string_agg only", at: location)
            }
            return try ScalarFunctions.compile(call, arguments: try call.arguments.map(build), location)
        case .jsonAccess(let base, let key, let asText, let location):
            let document = try build(base)
            let keyValue = try build(key)
            return CompiledExpression { row in
                let json: String
                switch try document(row) {
                case .json(let text): json = text
                case .string(let text): json = text
                default: return .null
                }
                let step: JSONPathStep
                switch try keyValue(row) {
                case .string(let name): step = .key(name)
                case .integer(let index): step = .index(Int(index))
                default: return .null
                }
                let found = try Array(json.utf8).withUnsafeBytes { try lookup([step], in: $0, location) }
                guard asText else { return found }
                return found.isNull ? .null : .string(found.description)
            }
        }
    }

    /// The literal's value; nil for a list, which has no value of its own.
    private static func constant(_ literal: Literal) -> SQLValue? {
        switch literal {
        case .null: .null
        case .boolean(let value): .boolean(value)
        case .integer(let value): .integer(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .interval(let interval): .interval(interval.milliseconds)
        case .list: nil
        }
    }

    private static func field(_ path: [PathComponent], _ location: SourceLocation) throws -> CompiledExpression {
        if path.count == 1, case .key(let name) = path[0], let slot = SlotNames.current[name] {
            return CompiledExpression(slot: slot) { $0.slots[slot] }
        }
        if path.count == 1, case .key(let name) = path[0] {
            switch name.lowercased() {
            case "_arrival": return CompiledExpression { .timestamp($0.arrivalMilliseconds) }
            case "_partition_key":
                return CompiledExpression { .string(String(decoding: $0.partitionKey, as: UTF8.self)) }
            case "_sequence": return CompiledExpression { row in row.position.map { .string($0.description) } ?? .null }
            case "_shard":
                return CompiledExpression { row in row.position.map { .string($0.shard.description) } ?? .null }
            case "_raw": return CompiledExpression { .string(String(decoding: $0.data, as: UTF8.self)) }
            default: break
            }
        }
        let steps = path.map { component -> JSONPathStep in
            switch component {
            case .key(let key): .key(key)
            case .index(let index): .index(Int(index))
            }
        }
        if let registry = FieldRegistry.current {  // extracted once per row with the query's other paths
            let index = registry.index(of: steps)
            return CompiledExpression(fieldIndex: index) { row in
                if let fields = row.fields { return fields[index] }
                return try lookup(steps, in: row.data, location)
            }
        }
        return CompiledExpression { row in try lookup(steps, in: row.data, location) }
    }

    static func lookup(
        _ steps: [JSONPathStep],
        in data: UnsafeRawBufferPointer,
        _ location: SourceLocation
    ) throws -> SQLValue {
        do {
            return SQLValue(json: try JSONFieldLookup.value(at: steps, in: data))
        } catch {
            throw EvaluationError(message: "the record is not valid JSON (\(error)); use _raw", location: location)
        }
    }

    private static func not(_ test: CompiledExpression, _ location: SourceLocation) -> CompiledExpression {
        CompiledExpression { row in
            switch try test(row) {
            case .boolean(let value): .boolean(!value)
            default: .null
            }
        }
    }

    // MARK: Operators

    private static func binary(
        _ op: BinaryOperator,
        _ left: CompiledExpression,
        _ right: CompiledExpression,
        _ location: SourceLocation
    ) throws -> CompiledExpression {
        switch op {
        case .and:
            return CompiledExpression { row in
                let a = try left(row)
                if a == .boolean(false) { return .boolean(false) }
                let b = try right(row)
                if b == .boolean(false) { return .boolean(false) }
                return a.isNull || b.isNull ? .null : .boolean(true)
            }
        case .or:
            return CompiledExpression { row in
                let a = try left(row)
                if a == .boolean(true) { return .boolean(true) }
                let b = try right(row)
                if b == .boolean(true) { return .boolean(true) }
                return a.isNull || b.isNull ? .null : .boolean(false)
            }
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            return CompiledExpression { row in
                let a = try left(row)
                let b = try right(row)
                if a.isNull || b.isNull { return .null }
                let order = try compare(a, b, location)
                switch op {
                case .equal: return .boolean(order == 0)
                case .notEqual: return .boolean(order != 0)
                case .less: return .boolean(order < 0)
                case .lessOrEqual: return .boolean(order <= 0)
                case .greater: return .boolean(order > 0)
                default: return .boolean(order >= 0)
                }
            }
        case .concatenate:
            return CompiledExpression { row in
                let a = try left(row)
                let b = try right(row)
                if a.isNull || b.isNull { return .null }
                return .string(a.description + b.description)
            }
        case .add, .subtract, .multiply, .divide, .modulo:
            return CompiledExpression { row in try arithmetic(op, try left(row), try right(row), location) }
        }
    }

    static func arithmetic(
        _ op: BinaryOperator,
        _ a: SQLValue,
        _ b: SQLValue,
        _ location: SourceLocation
    ) throws -> SQLValue {
        switch (a, b) {
        case (.null, _), (_, .null): return .null
        case (.integer(let x), .integer(let y)):
            let result: (Int64, Bool)
            switch op {
            case .add: result = x.addingReportingOverflow(y)
            case .subtract: result = x.subtractingReportingOverflow(y)
            case .multiply: result = x.multipliedReportingOverflow(by: y)
            case .divide: return y == 0 ? .null : .double(Double(x) / Double(y))
            default: return y == 0 ? .null : .integer(y == -1 ? 0 : x % y)  // Int64.min % -1 would trap
            }
            if result.1 {
                throw EvaluationError(message: "integer overflow in \(x) \(op.rawValue) \(y)", location: location)
            }
            return .integer(result.0)
        case (.timestamp(let t), .interval(let i)) where op == .add || op == .subtract:
            return .timestamp(op == .add ? t + i : t - i)
        case (.interval(let i), .timestamp(let t)) where op == .add:
            return .timestamp(t + i)
        case (.timestamp(let x), .timestamp(let y)) where op == .subtract:
            return .interval(x - y)
        case (.interval(let x), .interval(let y)) where op == .add || op == .subtract:
            return .interval(op == .add ? x + y : x - y)
        default:
            guard let x = number(a), let y = number(b) else {
                throw EvaluationError(message: "cannot apply \(op.rawValue) to \(a) and \(b)", location: location)
            }
            switch op {
            case .add: return .double(x + y)
            case .subtract: return .double(x - y)
            case .multiply: return .double(x * y)
            case .divide: return y == 0 ? .null : .double(x / y)
            default: return y == 0 ? .null : .double(x.truncatingRemainder(dividingBy: y))
            }
        }
    }

    static func number(_ value: SQLValue) -> Double? {
        switch value {
        case .integer(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// Orders two non-NULL values of comparable types; numbers compare across BIGINT and DOUBLE.
    static func compare(_ a: SQLValue, _ b: SQLValue, _ location: SourceLocation) throws -> Int {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return order(x, y)
        case (.string(let x), .string(let y)): return x == y ? 0 : (x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1)
        case (.boolean(let x), .boolean(let y)): return order(x ? 1 : 0, y ? 1 : 0)
        case (.timestamp(let x), .timestamp(let y)), (.interval(let x), .interval(let y)): return order(x, y)
        case (.timestamp(let x), .string(let y)):
            guard let parsed = EventTime.milliseconds(fromText: y) else { break }
            return order(x, parsed)
        case (.string, .timestamp):
            return -(try compare(b, a, location))
        case (.json(let x), .json(let y)): return order(x, y)
        default:
            if let x = number(a), let y = number(b) { return order(x, y) }
        }
        throw EvaluationError(message: "cannot compare \(a) with \(b)", location: location)
    }

    /// `LIKE` with `%` (any run) and `_` (one character), matched by dynamic programming.
    static func likeMatches(_ text: [Unicode.Scalar], _ pattern: [Unicode.Scalar]) -> Bool {
        var previous = [Bool](repeating: false, count: text.count + 1)
        previous[0] = true
        for symbol in pattern {
            var current = [Bool](repeating: false, count: text.count + 1)
            if symbol == "%" { current[0] = previous[0] }
            for index in 1...max(1, text.count) where index <= text.count {
                switch symbol {
                case "%": current[index] = current[index - 1] || previous[index]
                case "_": current[index] = previous[index - 1]
                default: current[index] = previous[index - 1] && text[index - 1] == symbol
                }
            }
            previous = current
        }
        return previous[text.count]
    }

    // MARK: Casts

    static func cast(_ value: SQLValue, to type: SQLType, _ location: SourceLocation) throws -> SQLValue {
        func fail() -> EvaluationError {
            EvaluationError(message: "cannot cast \(value) to \(type.rawValue)", location: location)
        }
        if value.isNull { return .null }
        switch type {
        case .varchar:
            if case .timestamp(let ms) = value { return .string(EventTime.iso8601(ms)) }
            return .string(value.description)
        case .bigint:
            switch value {
            case .integer: return value
            case .double(let x):
                guard x.isFinite, abs(x) < 9.2e18 else { throw fail() }
                return .integer(Int64(x.rounded(.toNearestOrAwayFromZero)))
            case .boolean(let x): return .integer(x ? 1 : 0)
            case .string(let text):
                let trimmed = text.trimmingSpaces
                if let integer = Int64(trimmed) { return .integer(integer) }
                throw fail()
            case .timestamp(let ms), .interval(let ms): return .integer(ms)
            default: throw fail()
            }
        case .double:
            switch value {
            case .integer(let x): return .double(Double(x))
            case .double: return value
            case .string(let text):
                guard let parsed = Double(text.trimmingSpaces) else { throw fail() }
                return .double(parsed)
            case .boolean(let x): return .double(x ? 1 : 0)
            default: throw fail()
            }
        case .boolean:
            switch value {
            case .boolean: return value
            case .integer(let x): return .boolean(x != 0)
            case .string(let text):
                switch text.trimmingSpaces.lowercased() {
                case "true", "t", "1", "yes", "y": return .boolean(true)
                case "false", "f", "0", "no", "n": return .boolean(false)
                default: throw fail()
                }
            default: throw fail()
            }
        case .timestamp:
            guard let ms = EventTime.milliseconds(from: value) else { throw fail() }
            return .timestamp(ms)
        case .interval:
            switch value {
            case .interval: return value
            case .integer(let ms): return .interval(ms)
            default: throw fail()
            }
        case .json:
            switch value {
            case .json: return value
            case .string(let text): return .json(JSONString.quoted(text))
            default: return .json(value.description)
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        String(
            unicodeScalars.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
                .reversed().map(Character.init)
        )
    }
}

/// The slot names in effect while compiling (a task-local, so `build` need not thread them through).
enum SlotNames {
    @TaskLocal static var current: [String: Int] = [:]
}
