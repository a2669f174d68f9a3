import Synchronization

/// Turns a parsed statement into a ``QueryPlan``: resolves aliases, separates group keys,
/// window and aggregates, and compiles every expression, so that every name and function is
/// checked before a record is read.
public enum QueryPlanner {
    public static func plan(_ sql: String) throws(SQLError) -> QueryPlan {
        try plan(Parser.parseSelect(sql))
    }

    public static func plan(_ statement: SelectStatement) throws(SQLError) -> QueryPlan {
        do {
            let registry = FieldRegistry()
            var plan = try FieldRegistry.$current.withValue(registry) { try build(statement) }
            plan.extractor = FieldExtractor(paths: registry.paths)
            return plan
        } catch let error as SQLError {
            throw error
        } catch {
            throw SQLError("\(error)", at: statement.source.location)
        }
    }

    private static func build(_ statement: SelectStatement) throws -> QueryPlan {
        let aliases = Dictionary(
            statement.items.compactMap { item -> (String, Expression)? in
                guard let alias = item.alias, case .expression(let expression) = item.kind else { return nil }
                return (alias.lowercased(), expression)
            },
            uniquingKeysWith: { first, _ in first }
        )
        // GROUP BY may name a select alias, as DuckDB allows.
        func resolve(_ expression: Expression) -> Expression {
            if case .field(let path, _) = expression, path.count == 1, case .key(let name) = path[0],
                let aliased = aliases[name.lowercased()]
            {
                return aliased
            }
            return expression
        }
        // HAVING and ORDER BY may name select aliases inside expressions too (`ORDER BY n + 0`).
        func resolveWithin(_ expression: Expression) -> Expression {
            let resolved = resolve(expression)
            return resolved == expression ? expression.mapChildren(resolveWithin) : resolved
        }
        var window: WindowSpec?
        var windowItems: [Expression] = []
        for item in statement.groupBy {
            if case .call(let call, let location) = item, ScalarFunctions.windows.contains(call.name) {
                guard window == nil else {
                    throw SQLError("only one window function is allowed in GROUP BY", at: location)
                }
                window = try windowSpec(call, location)
                windowItems.append(item)
            }
        }
        // A select-list position or GROUP BY ALL that names window_start or window_end adds no key:
        // the window already groups by them.
        func readsWindowBounds(_ expression: Expression) -> Bool {
            guard window != nil else { return false }
            var found = false
            visit(expression) { node in
                if case .field(let path, _) = node, path.count == 1, case .key(let name) = path[0],
                    ["window_start", "window_end"].contains(name.lowercased())
                {
                    found = true
                }
                return !found
            }
            return found
        }
        var keyExpressions: [Expression] = []
        for item in statement.groupBy where !windowItems.contains(item) {
            guard case .literal(.integer(let position), let location) = item else {
                keyExpressions.append(resolve(item))
                continue
            }
            let selected = try selectedExpression(position, of: statement, clause: "GROUP BY", at: location)
            if containsAggregate(selected) {
                throw SQLError(
                    "GROUP BY \(position) refers to \(selected.sqlText), which is an aggregate",
                    at: location
                )
            }
            if !readsWindowBounds(selected) { keyExpressions.append(selected) }
        }
        if statement.groupByAll {
            for item in statement.items {
                guard case .expression(let expression) = item.kind else { continue }
                if !containsAggregate(expression) && !readsWindowBounds(expression) {
                    keyExpressions.append(expression)
                }
            }
        }
        var aggregates: [(Expression, FunctionCall)] = []
        func collectAggregates(_ expression: Expression) {
            visit(expression) { node in
                if case .call(let call, _) = node, AggregateCatalog.names.contains(call.name) {
                    if !aggregates.contains(where: { canonical($0.0) == canonical(node) }) {
                        aggregates.append((node, call))
                    }
                    return false
                }
                return true
            }
        }
        for item in statement.items {
            if case .expression(let expression) = item.kind { collectAggregates(expression) }
        }
        if let having = statement.having { collectAggregates(resolveWithin(having)) }
        for sort in statement.orderBy { collectAggregates(resolveWithin(sort.expression)) }
        let grouped = window != nil || !keyExpressions.isEmpty || !aggregates.isEmpty

        var columns: [String] = []
        for (index, item) in statement.items.enumerated() {
            switch item.kind {
            case .all:
                guard !grouped else {
                    throw SQLError("SELECT * cannot be grouped; name the columns", at: item.location)
                }
                columns.append("_raw")
            case .expression(let expression):
                columns.append(item.alias ?? name(of: expression, index: index))
            }
        }

        guard grouped else {
            let outputs = try statement.items.map { item -> CompiledExpression in
                if case .expression(let expression) = item.kind { return try ExpressionCompiler.compile(expression) }
                return try ExpressionCompiler.compile(.field([.key("_raw")], item.location))
            }
            return QueryPlan(
                stream: statement.source.stream,
                columns: columns,
                filter: try statement.filter.map(ExpressionCompiler.compile),
                window: nil,
                groupKeys: [],
                aggregates: [],
                outputs: outputs,
                having: nil,
                order: try orderItems(statement, columns: columns) { expression throws(SQLError) in
                    try ExpressionCompiler.compile(resolveWithin(expression))
                },
                limit: statement.limit,
                distinct: statement.distinct,
                statement: statement
            )
        }

        // After aggregation, expressions read slots: group keys, then aggregates, then window bounds.
        var slots: [String: Int] = [:]
        var slotOf: [String: String] = [:]  // canonical expression -> slot name
        for (index, key) in keyExpressions.enumerated() {
            slots["\u{1}k\(index)"] = index
            slotOf[canonical(key)] = "\u{1}k\(index)"
        }
        for (index, aggregate) in aggregates.enumerated() {
            slots["\u{1}a\(index)"] = keyExpressions.count + index
            slotOf[canonical(aggregate.0)] = "\u{1}a\(index)"
        }
        if window != nil {
            slots["window_start"] = keyExpressions.count + aggregates.count
            slots["window_end"] = keyExpressions.count + aggregates.count + 1
        }
        func rewrite(_ expression: Expression) -> Expression {
            if let slot = slotOf[canonical(expression)] { return .field([.key(slot)], expression.location) }
            return expression.mapChildren(rewrite)
        }
        func compileGrouped(_ expression: Expression) throws -> CompiledExpression {
            let rewritten = rewrite(expression)
            var stray: Expression?
            visit(rewritten) { node in
                if case .field(let path, _) = node, case .key(let first) = path[0], !first.hasPrefix("\u{1}"),
                    slots[first] == nil, stray == nil
                {
                    stray = node
                }
                return true
            }
            if let stray {
                throw SQLError("\(stray.sqlText) must appear in GROUP BY or inside an aggregate", at: stray.location)
            }
            return try ExpressionCompiler.compile(rewritten, slots: slots)
        }
        let outputs = try statement.items.map { item -> CompiledExpression in
            guard case .expression(let expression) = item.kind else {
                throw SQLError("SELECT * cannot be grouped", at: item.location)
            }
            return try compileGrouped(expression)
        }
        var specs: [AggregateSpec] = []
        for (expression, call) in aggregates { specs.append(try AggregateCatalog.spec(call, at: expression.location)) }
        var plan = QueryPlan(
            stream: statement.source.stream,
            columns: columns,
            filter: try statement.filter.map(ExpressionCompiler.compile),
            window: window,
            groupKeys: try keyExpressions.map(ExpressionCompiler.compile),
            aggregates: specs,
            outputs: outputs,
            having: try statement.having.map { try compileGrouped(resolveWithin($0)) },
            order: try orderItems(statement, columns: columns) { try compileGrouped(resolveWithin($0)) },
            limit: statement.limit,
            distinct: statement.distinct,
            statement: statement
        )
        plan.groupKeySyntax = keyExpressions
        plan.keyColumns = statement.items.indices.filter { index in
            guard case .expression(let expression) = statement.items[index].kind else { return false }
            return !containsAggregate(expression) && !readsWindowBounds(expression)
        }
        return plan
    }

    /// The select-list expression at 1-based `position` (GROUP BY 1, ORDER BY 2).
    private static func selectedExpression(
        _ position: Int64,
        of statement: SelectStatement,
        clause: String,
        at location: SourceLocation
    ) throws(SQLError) -> Expression {
        guard position >= 1, position <= statement.items.count else {
            throw outOfRange(clause, position, columns: statement.items.count, at: location)
        }
        guard case .expression(let expression) = statement.items[Int(position) - 1].kind else {
            throw SQLError("\(clause) \(position) refers to *; name the columns", at: location)
        }
        return expression
    }

    private static func outOfRange(
        _ clause: String,
        _ position: Int64,
        columns: Int,
        at location: SourceLocation
    ) -> SQLError {
        SQLError(
            "\(clause) \(position) is out of range: the select list has \(columns) column\(columns == 1 ? "" : "s")",
            at: location
        )
    }

    private static func containsAggregate(_ expression: Expression) -> Bool {
        var found = false
        visit(expression) { node in
            if case .call(let call, _) = node, AggregateCatalog.names.contains(call.name) { found = true }
            return !found
        }
        return found
    }

    /// - Parameter compile: compiles an ORDER BY expression that is not an output column.
    private static func orderItems(
        _ statement: SelectStatement,
        columns: [String],
        compile: (Expression) throws -> CompiledExpression
    ) throws -> [(index: Int?, expression: CompiledExpression, descending: Bool, nullsFirst: Bool)] {
        try statement.orderBy.map { sort in
            var index: Int?
            if case .field(let path, _) = sort.expression, path.count == 1, case .key(let name) = path[0] {
                index = columns.firstIndex { $0.lowercased() == name.lowercased() }
            }
            if case .literal(.integer(let position), let location) = sort.expression {
                guard position >= 1, position <= columns.count else {
                    throw outOfRange("ORDER BY", position, columns: columns.count, at: location)
                }
                index = Int(position) - 1
            }
            let expression = index == nil ? try compile(sort.expression) : CompiledExpression { _ in .null }
            return (index, expression, sort.descending, sort.nullsFirst ?? false)
        }
    }

    private static func windowSpec(_ call: FunctionCall, _ location: SourceLocation) throws -> WindowSpec {
        func interval(_ expression: Expression) throws -> Int64 {
            guard case .literal(.interval(let interval), _) = expression, interval.milliseconds > 0 else {
                throw SQLError("\(call.name.uppercased()) needs a positive INTERVAL here", at: expression.location)
            }
            return interval.milliseconds
        }
        guard let timeArgument = call.arguments.first else {
            throw SQLError("\(call.name.uppercased()) needs a time column", at: location)
        }
        let time = try ExpressionCompiler.compile(timeArgument)
        var isProcessingTime = false
        if case .field(let path, _) = timeArgument, path.count == 1, case .key(let name) = path[0] {
            isProcessingTime = ["_arrival", "rowtime"].contains(name.lowercased())
        }
        switch call.name {
        case "tumble":
            guard call.arguments.count == 2 else {
                throw SQLError("TUMBLE(time, size) takes 2 arguments", at: location)
            }
            let size = try interval(call.arguments[1])
            return WindowSpec(kind: .tumble, time: time, size: size, slide: size, isProcessingTime: isProcessingTime)
        case "hop":
            guard call.arguments.count == 3 else {
                throw SQLError("HOP(time, slide, size) takes 3 arguments", at: location)
            }
            let slide = try interval(call.arguments[1])
            let size = try interval(call.arguments[2])
            guard size % slide == 0 else {
                throw SQLError("HOP size must be a multiple of its slide", at: call.arguments[2].location)
            }
            // Each window merges size/slide panes when it is emitted; past this it would be a typo.
            guard size / slide <= 1000 else {
                throw SQLError("HOP size may be at most 1000 slides", at: call.arguments[2].location)
            }
            return WindowSpec(kind: .hop, time: time, size: size, slide: slide, isProcessingTime: isProcessingTime)
        default:
            guard call.arguments.count == 2 else {
                throw SQLError("SESSION(time, gap) takes 2 arguments", at: location)
            }
            let gap = try interval(call.arguments[1])
            return WindowSpec(kind: .session, time: time, size: gap, slide: gap, isProcessingTime: isProcessingTime)
        }
    }

    /// A column name for an unaliased expression: the field's last key, or the function's name.
    private static func name(of expression: Expression, index: Int) -> String {
        switch expression {
        case .field(let path, _):
            if case .key(let key) = path.last { return key }
            return "column\(index + 1)"
        case .call(let call, _): return call.name
        default: return "column\(index + 1)"
        }
    }

    /// Calls `body` on every node, depth first; `body` returns false to skip a node's children.
    static func visit(_ expression: Expression, _ body: (Expression) -> Bool) {
        guard body(expression) else { return }
        _ = expression.mapChildren { child in
            visit(child, body)
            return child
        }
    }

    /// The expression as text without source locations, to match `status` in SELECT with
    /// `status` in GROUP BY.
    static func canonical(_ expression: Expression) -> String {
        let c = canonical
        switch expression {
        case .literal(let literal, _): return "\(literal)"
        case .field(let path, _):
            return "f:"
                + path.map { component -> String in
                    switch component {
                    case .key(let key): key.lowercased()
                    case .index(let index): "[\(index)]"
                    }
                }.joined(separator: ".")
        case .unary(let op, let operand, _): return "\(op.rawValue)(\(c(operand)))"
        case .binary(let op, let left, let right, _): return "(\(c(left)) \(op.rawValue) \(c(right)))"
        case .between(let value, let low, let high, let negated, _):
            return "between(\(c(value)),\(c(low)),\(c(high)),\(negated))"
        case .inList(let value, let list, let negated, _): return "in(\(c(value)),\(list.map(c)),\(negated))"
        case .like(let value, let pattern, let insensitive, let negated, _):
            return "like(\(c(value)),\(c(pattern)),\(insensitive),\(negated))"
        case .isNull(let value, let negated, _): return "isnull(\(c(value)),\(negated))"
        case .caseWhen(let operand, let branches, let otherwise, _):
            return
                "case(\(operand.map(c) ?? "-"),\(branches.map { c($0.condition) + "=>" + c($0.result) }),\(otherwise.map(c) ?? "-"))"
        case .cast(let value, let type, let isTry, _): return "cast(\(c(value)),\(type.rawValue),\(isTry))"
        case .call(let call, _):
            let order = call.orderBy.map { "\(c($0.expression)) \($0.descending) \(String(describing: $0.nullsFirst))" }
            return
                "call(\(call.name),\(call.distinct),\(call.star),\(call.arguments.map(c)),\(call.filter.map(c) ?? "-"),\(order))"
        case .jsonAccess(let value, let key, let asText, _): return "json(\(c(value)),\(c(key)),\(asText))"
        }
    }
}

extension Expression {
    /// The same node with each direct child replaced by `transform(child)`.
    func mapChildren(_ transform: (Expression) -> Expression) -> Expression {
        switch self {
        case .literal, .field: self
        case .unary(let op, let operand, let location): .unary(op, transform(operand), location)
        case .binary(let op, let left, let right, let location):
            .binary(op, transform(left), transform(right), location)
        case .between(let value, let low, let high, let negated, let location):
            .between(transform(value), low: transform(low), high: transform(high), negated: negated, location)
        case .inList(let value, let list, let negated, let location):
            .inList(transform(value), list.map(transform), negated: negated, location)
        case .like(let value, let pattern, let insensitive, let negated, let location):
            .like(
                transform(value),
                pattern: transform(pattern),
                caseInsensitive: insensitive,
                negated: negated,
                location
            )
        case .isNull(let value, let negated, let location): .isNull(transform(value), negated: negated, location)
        case .caseWhen(let operand, let branches, let otherwise, let location):
            .caseWhen(
                operand: operand.map(transform),
                branches: branches.map { WhenBranch(condition: transform($0.condition), result: transform($0.result)) },
                otherwise: otherwise.map(transform),
                location
            )
        case .cast(let value, let type, let isTry, let location): .cast(transform(value), type, isTry: isTry, location)
        case .call(var call, let location):
            {
                call.arguments = call.arguments.map(transform)
                call.filter = call.filter.map(transform)
                call.orderBy = call.orderBy.map {
                    SortItem(expression: transform($0.expression), descending: $0.descending, nullsFirst: $0.nullsFirst)
                }
                return .call(call, location)
            }()
        case .jsonAccess(let value, let key, let asText, let location):
            .jsonAccess(transform(value), key: transform(key), asText: asText, location)
        }
    }
}
