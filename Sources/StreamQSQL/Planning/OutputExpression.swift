/// An expression over a query's output columns, by their names: what `PARTITION BY` computes for
/// each row of a query that feeds a stream.
public struct OutputExpression: Sendable {
    private let compiled: CompiledExpression

    /// - Throws: when the expression names something other than an output column, or does not compile.
    public init(_ expression: Expression, columns: [String]) throws(SQLError) {
        var slots: [String: Int] = [:]
        for (index, column) in columns.enumerated() where slots[column] == nil { slots[column] = index }
        var stray: Expression?
        func check(_ node: Expression) -> Expression {
            if case .field(let path, _) = node {
                if case .key(let name)? = path.first, path.count == 1, slots[name] != nil { return node }
                if stray == nil { stray = node }
                return node
            }
            return node.mapChildren(check)
        }
        _ = check(expression)
        if let stray {
            throw SQLError(
                "\(stray.sqlText) is not an output column (\(columns.joined(separator: ", ")))",
                at: stray.location
            )
        }
        compiled = try ExpressionCompiler.compile(expression, slots: slots)
    }

    /// The expression's value for one output row (its columns in order).
    public func evaluate(_ row: [SQLValue]) throws -> SQLValue {
        try compiled.evaluate(SQLRow(slots: row))
    }
}
