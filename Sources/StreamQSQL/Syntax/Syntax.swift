/// The syntax tree of a query, as written (names are resolved later, by the planner).

/// A `SELECT` statement of the v1 dialect.
public struct SelectStatement: Sendable, Equatable {
    public var distinct = false
    public var items: [SelectItem]
    public var source: Source
    public var filter: Expression?
    /// The GROUP BY items as written; an integer literal is a 1-based select-list position.
    public var groupBy: [Expression] = []
    /// `GROUP BY ALL`: every select-list expression without an aggregate is a key (besides a
    /// window function, the only other item allowed).
    public var groupByAll = false
    public var having: Expression?
    public var orderBy: [SortItem] = []
    public var limit: Int64?
    public var emit: Emit = .final
    public var late: LatePolicy = .drop
    /// `INTO 'file:///…'`, if given.
    public var into: String?
    /// The query as written.
    public var text = ""
}

public struct SelectItem: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `*`: every top-level field of the record.
        case all
        case expression(Expression)
    }
    public var kind: Kind
    public var alias: String?
    public var location: SourceLocation
}

/// `FROM stream [AS alias] [WATERMARK DELAY interval]`.
public struct Source: Sendable, Equatable {
    public var stream: String
    public var alias: String?
    public var watermarkDelay: IntervalLiteral?
    public var location: SourceLocation
}

public struct SortItem: Sendable, Equatable {
    public var expression: Expression
    public var descending = false
    /// nil: NULLS LAST, DuckDB's default for both directions.
    public var nullsFirst: Bool?
}

public enum Emit: Sendable, Equatable {
    /// One row per window and group when the window closes (the default).
    case final
    /// A row every time a group's result changes.
    case changes
}

public enum LatePolicy: Sendable, Equatable {
    case drop
    /// Keep window state this much longer and re-emit corrected rows.
    case updateWithin(IntervalLiteral)
}

/// An interval as written: a count of milliseconds.
public struct IntervalLiteral: Sendable, Equatable {
    public var milliseconds: Int64
}

/// A scalar or aggregate expression. `indirect` keeps the tree a value type.
public indirect enum Expression: Sendable, Equatable {
    case literal(Literal, SourceLocation)
    /// A name or path: `status`, `client.ip`, `tags[0]`, `headers['x-id']`, `_arrival`.
    case field([PathComponent], SourceLocation)
    case unary(UnaryOperator, Expression, SourceLocation)
    case binary(BinaryOperator, Expression, Expression, SourceLocation)
    /// `expr [NOT] BETWEEN low AND high`.
    case between(Expression, low: Expression, high: Expression, negated: Bool, SourceLocation)
    /// `expr [NOT] IN (a, b, …)`.
    case inList(Expression, [Expression], negated: Bool, SourceLocation)
    /// `expr [NOT] LIKE|ILIKE pattern`.
    case like(Expression, pattern: Expression, caseInsensitive: Bool, negated: Bool, SourceLocation)
    /// `expr IS [NOT] NULL`.
    case isNull(Expression, negated: Bool, SourceLocation)
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`.
    case caseWhen(operand: Expression?, branches: [WhenBranch], otherwise: Expression?, SourceLocation)
    /// `CAST(x AS type)`, `TRY_CAST(x AS type)`, `x::type`.
    case cast(Expression, SQLType, isTry: Bool, SourceLocation)
    /// A function or aggregate call; `count(*)` has `star`; `FILTER (WHERE …)` applies to aggregates.
    case call(FunctionCall, SourceLocation)
    /// `x -> key` (JSON) and `x ->> key` (text).
    case jsonAccess(Expression, key: Expression, asText: Bool, SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .literal(_, let location), .field(_, let location), .unary(_, _, let location),
            .binary(_, _, _, let location), .between(_, _, _, _, let location), .inList(_, _, _, let location),
            .like(_, _, _, _, let location), .isNull(_, _, let location), .caseWhen(_, _, _, let location),
            .cast(_, _, _, let location), .call(_, let location), .jsonAccess(_, _, _, let location):
            location
        }
    }
}

/// `WHEN condition THEN result`.
public struct WhenBranch: Sendable, Equatable {
    public var condition: Expression
    public var result: Expression
}

public struct FunctionCall: Sendable, Equatable {
    /// Lower-cased.
    public var name: String
    public var arguments: [Expression]
    public var distinct = false
    /// `count(*)`.
    public var star = false
    public var filter: Expression?
    /// `string_agg(x, sep ORDER BY …)`: the order of the aggregated values.
    public var orderBy: [SortItem] = []
}

public enum PathComponent: Sendable, Equatable {
    case key(String)
    case index(Int64)
}

public enum Literal: Sendable, Equatable {
    case null
    case boolean(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case interval(IntervalLiteral)
    /// `[0.25, 0.5]`: constants, as the fractions of `quantile_cont` and `quantile_disc`.
    case list([Literal])
}

public enum UnaryOperator: String, Sendable, Equatable {
    case negate = "-"
    case not = "NOT"
}

public enum BinaryOperator: String, Sendable, Equatable {
    case or = "OR"
    case and = "AND"
    case equal = "="
    case notEqual = "<>"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case modulo = "%"
    case concatenate = "||"
}

/// The types of the v1 dialect.
public enum SQLType: String, Sendable, Equatable, CaseIterable {
    case boolean = "BOOLEAN"
    case bigint = "BIGINT"
    case double = "DOUBLE"
    case varchar = "VARCHAR"
    case timestamp = "TIMESTAMP"
    case interval = "INTERVAL"
    case json = "JSON"

    /// Accepts the usual synonyms (INT, INTEGER, TEXT, STRING, FLOAT, REAL, BOOL …).
    init?(name: String) {
        switch name.uppercased() {
        case "BOOLEAN", "BOOL": self = .boolean
        case "BIGINT", "INT", "INTEGER", "INT8", "LONG", "SMALLINT", "INT4": self = .bigint
        case "DOUBLE", "FLOAT", "REAL", "FLOAT8", "DECIMAL", "NUMERIC": self = .double
        case "VARCHAR", "TEXT", "STRING", "CHAR": self = .varchar
        case "TIMESTAMP", "TIMESTAMPTZ": self = .timestamp
        case "INTERVAL": self = .interval
        case "JSON": self = .json
        default: return nil
        }
    }
}
