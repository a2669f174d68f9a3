/// A WHERE clause the fast path evaluates on ``FastValue``s: comparisons, BETWEEN, IN, LIKE and
/// IS NULL of a field against literals, combined with AND, OR and NOT.
///
/// It gives exactly the row engine's answer or none: wherever the row engine would raise an error
/// (comparing a string with a number, say) or meets values the fast path does not read (non-ASCII
/// text, JSON objects), the answer is ``Truth/undecided`` and the row goes to the row engine, which
/// reports it as it always has. AND and OR look at their operands in the row engine's order and stop
/// where it stops.
indirect enum FastPredicate: Sendable {
    case and(FastPredicate, FastPredicate)
    case or(FastPredicate, FastPredicate)
    case not(FastPredicate)
    case compare(field: Int, BinaryOperator, FastLiteral)
    case inList(field: Int, [FastLiteral], negated: Bool)
    case like(field: Int, pattern: [UInt8], caseInsensitive: Bool, negated: Bool)
    case isNull(field: Int, negated: Bool)

    /// SQL's three truth values, and the fast path's fourth.
    enum Truth {
        case isTrue, isFalse, isNull
        /// Only the row engine can say (or it would report an error).
        case undecided
    }

    /// The predicate for `expression`, or nil when it has a part the fast path does not evaluate.
    /// - Parameter field: the index of a field path in the extracted values, if extracted.
    init?(_ expression: Expression, field: ([PathComponent]) -> Int?) {
        switch expression {
        case .binary(.and, let left, let right, _), .binary(.or, let left, let right, _):
            guard let a = FastPredicate(left, field: field), let b = FastPredicate(right, field: field) else {
                return nil
            }
            guard case .binary(let op, _, _, _) = expression else { return nil }
            self = op == .and ? .and(a, b) : .or(a, b)
        case .unary(.not, let operand, _):
            guard let inner = FastPredicate(operand, field: field) else { return nil }
            self = .not(inner)
        case .binary(let op, let left, let right, _):
            guard [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual].contains(op) else { return nil }
            if case .field(let path, _) = left, let index = field(path), let literal = FastLiteral(right) {
                self = .compare(field: index, op, literal)
            } else if case .field(let path, _) = right, let index = field(path), let literal = FastLiteral(left) {
                self = .compare(field: index, op.mirrored, literal)
            } else {
                return nil
            }
        case .between(.field(let path, _), let low, let high, let negated, _):
            // As the row engine runs it: value >= low AND value <= high, then NOT.
            guard let index = field(path), let low = FastLiteral(low), let high = FastLiteral(high) else { return nil }
            let test = FastPredicate.and(
                .compare(field: index, .greaterOrEqual, low),
                .compare(field: index, .lessOrEqual, high)
            )
            self = negated ? .not(test) : test
        case .inList(.field(let path, _), let list, let negated, _):
            guard let index = field(path) else { return nil }
            var literals: [FastLiteral] = []
            for item in list {
                guard let literal = FastLiteral(item) else { return nil }
                literals.append(literal)
            }
            self = .inList(field: index, literals, negated: negated)
        case .like(.field(let path, _), .literal(.string(let pattern), _), let caseInsensitive, let negated, _):
            guard let index = field(path), pattern.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
            self = .like(
                field: index,
                pattern: Array((caseInsensitive ? pattern.lowercased() : pattern).utf8),
                caseInsensitive: caseInsensitive,
                negated: negated
            )
        case .isNull(.field(let path, _), let negated, _):
            guard let index = field(path) else { return nil }
            self = .isNull(field: index, negated: negated)
        default:
            return nil
        }
    }

    /// The predicate's value for one record's fields.
    func evaluate(_ values: UnsafeMutableBufferPointer<FastValue>, record: UnsafeRawBufferPointer) -> Truth {
        switch self {
        case .and(let left, let right):
            let a = left.evaluate(values, record: record)
            if a == .undecided || a == .isFalse { return a }
            let b = right.evaluate(values, record: record)
            if b == .undecided || b == .isFalse { return b }
            return a == .isNull || b == .isNull ? .isNull : .isTrue
        case .or(let left, let right):
            let a = left.evaluate(values, record: record)
            if a == .undecided || a == .isTrue { return a }
            let b = right.evaluate(values, record: record)
            if b == .undecided || b == .isTrue { return b }
            return a == .isNull || b == .isNull ? .isNull : .isFalse
        case .not(let inner):
            switch inner.evaluate(values, record: record) {
            case .isTrue: return .isFalse
            case .isFalse: return .isTrue
            case let other: return other
            }
        case .compare(let index, let op, let literal):
            let value = values[index]
            if value.kind == .null || literal.isNull { return .isNull }
            guard let order = literal.order(of: value, record: record) else { return .undecided }
            let result: Bool
            switch op {
            case .equal: result = order == 0
            case .notEqual: result = order != 0
            case .less: result = order < 0
            case .lessOrEqual: result = order <= 0
            case .greater: result = order > 0
            default: result = order >= 0
            }
            return result ? .isTrue : .isFalse
        case .inList(let index, let literals, let negated):
            let value = values[index]
            if value.kind == .null { return .isNull }
            var sawNull = false
            var found = false
            for literal in literals {
                if literal.isNull {
                    sawNull = true
                    continue
                }
                guard let order = literal.order(of: value, record: record) else { return .undecided }
                if order == 0 {
                    found = true
                    break
                }
            }
            let truth: Truth = found ? .isTrue : (sawNull ? .isNull : .isFalse)
            guard negated else { return truth }
            return truth == .isTrue ? .isFalse : (truth == .isFalse ? .isTrue : truth)
        case .like(let index, let pattern, let caseInsensitive, let negated):
            let value = values[index]
            switch value.kind {
            case .string: break
            case .other: return .undecided  // text beyond ASCII, or JSON: the row engine decides
            default: return .isNull  // LIKE of a non-string is NULL
            }
            let text = UnsafeRawBufferPointer(rebasing: record[value.start..<(value.start + value.count)])
            let matches = FastLike.matches(text, pattern: pattern, caseInsensitive: caseInsensitive)
            return matches != negated ? .isTrue : .isFalse
        case .isNull(let index, let negated):
            return (values[index].kind == .null) != negated ? .isTrue : .isFalse
        }
    }
}

/// A literal operand of a fast predicate.
enum FastLiteral: Sendable {
    case null
    case boolean(Bool)
    case integer(Int64)
    case double(Double)
    /// ASCII text only (comparing other text is left to the row engine).
    case string([UInt8])

    init?(_ expression: Expression) {
        switch expression {
        case .literal(.null, _): self = .null
        case .literal(.boolean(let value), _): self = .boolean(value)
        case .literal(.integer(let value), _): self = .integer(value)
        case .literal(.double(let value), _): self = .double(value)
        case .literal(.string(let text), _):
            guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
            self = .string(Array(text.utf8))
        case .unary(.negate, .literal(.integer(let value), _), _) where value != .min: self = .integer(-value)
        case .unary(.negate, .literal(.double(let value), _), _): self = .double(-value)
        default: return nil
        }
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// How a non-NULL field value orders against this literal (negative, zero, positive), as the
    /// row engine's comparison does; nil where the row engine would fail or the fast path cannot tell.
    @inline(__always)
    func order(of value: FastValue, record: UnsafeRawBufferPointer) -> Int? {
        @inline(__always) func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
        switch self {
        case .null: return nil
        case .integer(let y):
            switch value.kind {
            case .integer: return order(value.integer, y)
            case .double: return order(value.double, Double(y))
            default: return nil
            }
        case .double(let y):
            guard value.isNumber else { return nil }
            return order(value.number, y)
        case .boolean(let y):
            guard value.kind == .boolean else { return nil }
            return order(value.integer, y ? 1 : 0)
        case .string(let y):
            guard value.kind == .string else { return nil }
            return y.withUnsafeBytes { literal in
                let text = UnsafeRawBufferPointer(rebasing: record[value.start..<(value.start + value.count)])
                // Byte by byte: the texts compared here are short (a method, a status word), for
                // which a call to memcmp cost more than the comparison.
                for index in 0..<min(text.count, literal.count) {
                    let (a, b) = (text[index], literal[index])
                    if a != b { return a < b ? -1 : 1 }
                }
                return order(text.count, literal.count)
            }
        }
    }
}

extension BinaryOperator {
    /// The operator with its operands swapped: `5 < x` is `x > 5`.
    fileprivate var mirrored: BinaryOperator {
        switch self {
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        default: self
        }
    }
}

/// LIKE over ASCII bytes: `%` any run, `_` one character, as the row engine matches scalars.
enum FastLike {
    static func matches(_ text: UnsafeRawBufferPointer, pattern: [UInt8], caseInsensitive: Bool) -> Bool {
        @inline(__always) func fold(_ byte: UInt8) -> UInt8 {
            caseInsensitive && byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
        }
        // Greedy matching with backtracking to the last `%`: linear for the usual patterns.
        var t = 0
        var p = 0
        var star = -1
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "%") {
                star = p
                p += 1
                resume = t
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "_") || pattern[p] == fold(text[t]) {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "%") { p += 1 }
        return p == pattern.count
    }
}
