/// A recursive-descent parser for the v1 dialect. Errors name the line and column and what was
/// expected there.
///
/// Precedence, lowest first: `OR`; `AND`; `NOT`; comparison, `IS`, `BETWEEN`, `IN`, `LIKE`;
/// `||`; `+ -`; `* / %`; unary `-`; postfix `::type`, `->`, `->>`, `.key`, `[index]`.
public struct Parser {
    private var tokens: [Token]
    private var position = 0

    /// Parses one `SELECT` statement (a trailing `;` is allowed).
    public static func parseSelect(_ text: String) throws(SQLError) -> SelectStatement {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        var statement = try parser.selectStatement()
        statement.text = text
        _ = parser.acceptSymbol(";")
        guard parser.current.kind == .end else { throw parser.unexpected("the end of the query") }
        return statement
    }

    /// Parses a single expression (for tests and tools).
    public static func parseExpression(_ text: String) throws(SQLError) -> Expression {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        let expression = try parser.expression()
        guard parser.current.kind == .end else { throw parser.unexpected("the end of the expression") }
        return expression
    }

    init(tokens: [Token]) { self.tokens = tokens }

    // MARK: Tokens

    var current: Token { tokens[position] }
    func peek(_ ahead: Int) -> Token { tokens[min(position + ahead, tokens.count - 1)] }

    mutating func advance() -> Token {
        defer { if position < tokens.count - 1 { position += 1 } }
        return tokens[position]
    }

    func isKeyword(_ word: String) -> Bool { current.keyword == word }

    mutating func acceptKeyword(_ word: String) -> Bool {
        guard isKeyword(word) else { return false }
        _ = advance()
        return true
    }

    mutating func expectKeyword(_ word: String) throws(SQLError) {
        guard acceptKeyword(word) else { throw unexpected(word) }
    }

    mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard current.kind == .symbol(symbol) else { return false }
        _ = advance()
        return true
    }

    mutating func expectSymbol(_ symbol: String) throws(SQLError) {
        guard acceptSymbol(symbol) else { throw unexpected("'\(symbol)'") }
    }

    func unexpected(_ expected: String) -> SQLError {
        SQLError("expected \(expected), found \(current.describedForError)", at: current.location)
    }

    /// Words that end an expression or a clause, so they are never taken as aliases or names.
    private static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "EMIT", "ON", "INTO", "AS", "AND", "OR",
        "NOT", "IN", "IS", "LIKE", "ILIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "ASC", "DESC", "NULLS",
        "WATERMARK", "DISTINCT", "FILTER", "UNION", "JOIN", "PARTITION",
    ]

    mutating func identifier(_ what: String) throws(SQLError) -> String {
        switch current.kind {
        case .identifier(let word) where !Self.reserved.contains(word.uppercased()):
            _ = advance()
            return word
        case .quotedIdentifier(let word):
            _ = advance()
            return word
        default:
            throw unexpected(what)
        }
    }

    // MARK: Statement

    mutating func selectStatement() throws(SQLError) -> SelectStatement {
        try expectKeyword("SELECT")
        let distinct = acceptKeyword("DISTINCT")
        var items = [try selectItem()]
        while acceptSymbol(",") { items.append(try selectItem()) }
        try expectKeyword("FROM")
        var statement = SelectStatement(distinct: distinct, items: items, source: try source())
        if acceptKeyword("WHERE") { statement.filter = try expression() }
        if acceptKeyword("GROUP") {
            try expectKeyword("BY")
            try groupItem(&statement)
            while acceptSymbol(",") { try groupItem(&statement) }
        }
        if acceptKeyword("HAVING") { statement.having = try expression() }
        if acceptKeyword("EMIT") { try emitClause(&statement) }
        if acceptKeyword("ON") { try lateClause(&statement) }
        if acceptKeyword("ORDER") {
            try expectKeyword("BY")
            if isKeyword("ALL") {
                // ORDER BY ALL: every output column, left to right, in one direction (as DuckDB).
                let location = advance().location
                let direction = try sortItem(.literal(.integer(1), location))
                statement.orderBy = (1...Int64(items.count)).map { position in
                    var item = direction
                    item.expression = .literal(.integer(position), location)
                    return item
                }
            } else {
                statement.orderBy = [try sortItem()]
                while acceptSymbol(",") { statement.orderBy.append(try sortItem()) }
            }
        }
        if acceptKeyword("LIMIT") {
            guard case .integer(let count) = current.kind, count >= 0 else {
                throw unexpected("a row count after LIMIT")
            }
            _ = advance()
            statement.limit = count
        }
        if acceptKeyword("EMIT") { try emitClause(&statement) }
        if acceptKeyword("ON") { try lateClause(&statement) }
        if acceptKeyword("INTO") {
            guard case .string(let url) = current.kind else { throw unexpected("a 'file:///…' URL after INTO") }
            _ = advance()
            statement.into = url
        }
        return statement
    }

    /// One GROUP BY item: an expression (a position when an integer), or `ALL`.
    private mutating func groupItem(_ statement: inout SelectStatement) throws(SQLError) {
        if isKeyword("ALL") {
            guard !statement.groupByAll else { throw SQLError("GROUP BY names ALL twice", at: current.location) }
            _ = advance()
            statement.groupByAll = true
        } else {
            statement.groupBy.append(try expression())
        }
    }

    private mutating func emitClause(_ statement: inout SelectStatement) throws(SQLError) {
        if acceptKeyword("FINAL") {
            statement.emit = .final
        } else if acceptKeyword("CHANGES") {
            statement.emit = .changes
        } else {
            throw unexpected("FINAL or CHANGES after EMIT")
        }
        if acceptKeyword("ON") { try lateClause(&statement) }
    }

    /// `ON LATE DROP | ON LATE UPDATE WITHIN interval` (after `ON`).
    private mutating func lateClause(_ statement: inout SelectStatement) throws(SQLError) {
        try expectKeyword("LATE")
        if acceptKeyword("DROP") {
            statement.late = .drop
        } else if acceptKeyword("UPDATE") {
            try expectKeyword("WITHIN")
            statement.late = .updateWithin(try intervalValue())
        } else {
            throw unexpected("DROP or UPDATE WITHIN after ON LATE")
        }
    }

    private mutating func selectItem() throws(SQLError) -> SelectItem {
        let location = current.location
        if acceptSymbol("*") { return SelectItem(kind: .all, alias: nil, location: location) }
        let value = try expression()
        var alias: String?
        if acceptKeyword("AS") {
            alias = try identifier("a column alias after AS")
        } else if case .identifier(let word) = current.kind, !Self.reserved.contains(word.uppercased()) {
            alias = word
            _ = advance()
        } else if case .quotedIdentifier(let word) = current.kind {
            alias = word
            _ = advance()
        }
        return SelectItem(kind: .expression(value), alias: alias, location: location)
    }

    private mutating func source() throws(SQLError) -> Source {
        let location = current.location
        let stream = try identifier("a stream name after FROM")
        var source = Source(stream: stream, location: location)
        if acceptKeyword("AS") {
            source.alias = try identifier("an alias after AS")
        } else if case .identifier(let word) = current.kind, !Self.reserved.contains(word.uppercased()) {
            source.alias = word
            _ = advance()
        }
        if acceptKeyword("WATERMARK") {
            try expectKeyword("DELAY")
            source.watermarkDelay = try intervalValue()
        }
        return source
    }

    /// An ORDER BY item: `expression` (when given, already read) and its direction.
    private mutating func sortItem(_ expression: Expression? = nil) throws(SQLError) -> SortItem {
        var item: SortItem
        if let expression {
            item = SortItem(expression: expression)
        } else {
            item = SortItem(expression: try self.expression())
        }
        if acceptKeyword("DESC") { item.descending = true } else { _ = acceptKeyword("ASC") }
        if acceptKeyword("NULLS") {
            if acceptKeyword("FIRST") {
                item.nullsFirst = true
            } else if acceptKeyword("LAST") {
                item.nullsFirst = false
            } else {
                throw unexpected("FIRST or LAST after NULLS")
            }
        }
        return item
    }

    // MARK: Expressions

    mutating func expression() throws(SQLError) -> Expression { try disjunction() }

    private mutating func disjunction() throws(SQLError) -> Expression {
        var left = try conjunction()
        while isKeyword("OR") {
            let location = advance().location
            left = .binary(.or, left, try conjunction(), location)
        }
        return left
    }

    private mutating func conjunction() throws(SQLError) -> Expression {
        var left = try negation()
        while isKeyword("AND") {
            let location = advance().location
            left = .binary(.and, left, try negation(), location)
        }
        return left
    }

    private mutating func negation() throws(SQLError) -> Expression {
        if isKeyword("NOT") {
            let location = advance().location
            return .unary(.not, try negation(), location)
        }
        return try comparison()
    }

    private mutating func comparison() throws(SQLError) -> Expression {
        let left = try concatenation()
        let location = current.location
        for (symbol, op) in [
            ("=", BinaryOperator.equal), ("<>", .notEqual), ("!=", .notEqual), ("<=", .lessOrEqual),
            (">=", .greaterOrEqual), ("<", .less), (">", .greater),
        ] where acceptSymbol(symbol) {
            return .binary(op, left, try concatenation(), location)
        }
        if acceptKeyword("IS") {
            let negated = acceptKeyword("NOT")
            try expectKeyword("NULL")
            return .isNull(left, negated: negated, location)
        }
        let negated = isKeyword("NOT") && ["BETWEEN", "IN", "LIKE", "ILIKE"].contains(peek(1).keyword ?? "")
        if negated { _ = advance() }
        if acceptKeyword("BETWEEN") {
            let low = try concatenation()
            try expectKeyword("AND")
            return .between(left, low: low, high: try concatenation(), negated: negated, location)
        }
        if acceptKeyword("IN") {
            try expectSymbol("(")
            var values = [try expression()]
            while acceptSymbol(",") { values.append(try expression()) }
            try expectSymbol(")")
            return .inList(left, values, negated: negated, location)
        }
        if isKeyword("LIKE") || isKeyword("ILIKE") {
            let caseInsensitive = advance().keyword == "ILIKE"
            return .like(
                left,
                pattern: try concatenation(),
                caseInsensitive: caseInsensitive,
                negated: negated,
                location
            )
        }
        if negated { throw unexpected("BETWEEN, IN, LIKE or ILIKE after NOT") }
        return left
    }

    private mutating func concatenation() throws(SQLError) -> Expression {
        var left = try additive()
        while current.kind == .symbol("||") {
            let location = advance().location
            left = .binary(.concatenate, left, try additive(), location)
        }
        return left
    }

    private mutating func additive() throws(SQLError) -> Expression {
        var left = try multiplicative()
        while current.kind == .symbol("+") || current.kind == .symbol("-") {
            let token = advance()
            left = .binary(token.kind == .symbol("+") ? .add : .subtract, left, try multiplicative(), token.location)
        }
        return left
    }

    private mutating func multiplicative() throws(SQLError) -> Expression {
        var left = try unary()
        while [.symbol("*"), .symbol("/"), .symbol("%")].contains(current.kind) {
            let token = advance()
            let op: BinaryOperator =
                token.kind == .symbol("*") ? .multiply : token.kind == .symbol("/") ? .divide : .modulo
            left = .binary(op, left, try unary(), token.location)
        }
        return left
    }

    private mutating func unary() throws(SQLError) -> Expression {
        if current.kind == .symbol("-") {
            let location = advance().location
            let operand = try unary()
            switch operand {  // fold literals so -9223372036854775808 and -1.5 stay literals
            case .literal(.integer(let value), _): return .literal(.integer(-value), location)
            case .literal(.double(let value), _): return .literal(.double(-value), location)
            default: return .unary(.negate, operand, location)
            }
        }
        if current.kind == .symbol("+") { _ = advance() }
        return try postfix(try primary())
    }

    private mutating func postfix(_ base: Expression) throws(SQLError) -> Expression {
        var value = base
        while true {
            let location = current.location
            if acceptSymbol("::") {
                value = .cast(value, try typeName(), isTry: false, location)
            } else if current.kind == .symbol("->") || current.kind == .symbol("->>") {
                let asText = advance().kind == .symbol("->>")
                value = .jsonAccess(value, key: try unary(), asText: asText, location)
            } else if case .field(var path, let fieldLocation) = value, current.kind == .symbol(".") {
                _ = advance()
                path.append(.key(try identifier("a field name after '.'")))
                value = .field(path, fieldLocation)
            } else if case .field(var path, let fieldLocation) = value, acceptSymbol("[") {
                switch current.kind {
                case .integer(let index): path.append(.index(index))
                case .string(let key): path.append(.key(key))
                default: throw unexpected("an array index or a quoted key inside [ ]")
                }
                _ = advance()
                try expectSymbol("]")
                value = .field(path, fieldLocation)
            } else {
                return value
            }
        }
    }

    private mutating func primary() throws(SQLError) -> Expression {
        let token = current
        switch token.kind {
        case .integer(let value):
            _ = advance()
            return .literal(.integer(value), token.location)
        case .decimal(let value):
            _ = advance()
            return .literal(.double(value), token.location)
        case .string(let text):
            _ = advance()
            return .literal(.string(text), token.location)
        case .quotedIdentifier(let name):
            _ = advance()
            return .field([.key(name)], token.location)
        case .symbol("("):
            _ = advance()
            let inner = try expression()
            try expectSymbol(")")
            return inner
        case .symbol("["):
            _ = advance()
            var items: [Literal] = []
            repeat {
                let itemLocation = current.location
                guard case .literal(let item, _) = try unary() else {
                    throw SQLError("a list holds constants only", at: itemLocation)
                }
                items.append(item)
            } while acceptSymbol(",")
            try expectSymbol("]")
            return .literal(.list(items), token.location)
        case .identifier(let word):
            switch word.uppercased() {
            case "NULL":
                _ = advance()
                return .literal(.null, token.location)
            case "TRUE", "FALSE":
                _ = advance()
                return .literal(.boolean(word.uppercased() == "TRUE"), token.location)
            case "INTERVAL":
                _ = advance()
                return .literal(.interval(try intervalBody()), token.location)
            case "CASE":
                _ = advance()
                return try caseExpression(token.location)
            case "CAST", "TRY_CAST":
                guard peek(1).kind == .symbol("(") else { fallthrough }
                _ = advance()
                _ = advance()
                let value = try expression()
                try expectKeyword("AS")
                let type = try typeName()
                try expectSymbol(")")
                return .cast(value, type, isTry: word.uppercased() == "TRY_CAST", token.location)
            case "ROWTIME":
                _ = advance()
                return .field([.key("_arrival")], token.location)
            case "EXTRACT":
                // EXTRACT(field FROM time) is extract('field', time).
                guard peek(1).kind == .symbol("(") else { fallthrough }
                _ = advance()
                _ = advance()
                guard case .identifier(let field) = current.kind else {
                    throw unexpected("a field such as HOUR or DAY")
                }
                let fieldLocation = current.location
                _ = advance()
                try expectKeyword("FROM")
                let value = try expression()
                try expectSymbol(")")
                return .call(
                    FunctionCall(
                        name: "extract",
                        arguments: [.literal(.string(field.lowercased()), fieldLocation), value]
                    ),
                    token.location
                )
            default:
                if peek(1).kind == .symbol("(") { return try call(word, token.location) }
                if Self.reserved.contains(word.uppercased()) { throw unexpected("an expression") }
                _ = advance()
                return .field([.key(word)], token.location)
            }
        default:
            throw unexpected("an expression")
        }
    }

    private mutating func call(_ name: String, _ location: SourceLocation) throws(SQLError) -> Expression {
        _ = advance()
        _ = advance()  // (
        var call = FunctionCall(name: name.lowercased(), arguments: [])
        if acceptSymbol("*") {
            call.star = true
        } else if !acceptSymbol(")") {
            call.distinct = acceptKeyword("DISTINCT")
            call.arguments = [try expression()]
            while acceptSymbol(",") { call.arguments.append(try expression()) }
            if acceptKeyword("ORDER") {
                try expectKeyword("BY")
                call.orderBy = [try sortItem()]
                while acceptSymbol(",") { call.orderBy.append(try sortItem()) }
            }
            try expectSymbol(")")
            return try filterClause(call, location)
        }
        if call.star { try expectSymbol(")") }
        return try filterClause(call, location)
    }

    private mutating func filterClause(_ call: FunctionCall, _ location: SourceLocation) throws(SQLError) -> Expression
    {
        var call = call
        if acceptKeyword("FILTER") {
            try expectSymbol("(")
            try expectKeyword("WHERE")
            call.filter = try expression()
            try expectSymbol(")")
        }
        return .call(call, location)
    }

    private mutating func caseExpression(_ location: SourceLocation) throws(SQLError) -> Expression {
        let operand: Expression? = isKeyword("WHEN") ? nil : try expression()
        var branches: [WhenBranch] = []
        while acceptKeyword("WHEN") {
            let condition = try expression()
            try expectKeyword("THEN")
            branches.append(WhenBranch(condition: condition, result: try expression()))
        }
        guard !branches.isEmpty else { throw unexpected("WHEN") }
        let otherwise: Expression? = acceptKeyword("ELSE") ? try expression() : nil
        try expectKeyword("END")
        return .caseWhen(operand: operand, branches: branches, otherwise: otherwise, location)
    }

    private mutating func typeName() throws(SQLError) -> SQLType {
        guard case .identifier(let word) = current.kind, let type = SQLType(name: word) else {
            throw unexpected("a type (\(SQLType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        _ = advance()
        return type
    }

    // MARK: Intervals

    /// `INTERVAL '5' SECOND`, `INTERVAL '5 seconds'`, or (after WATERMARK DELAY / WITHIN) the same
    /// without the INTERVAL keyword.
    private mutating func intervalValue() throws(SQLError) -> IntervalLiteral {
        _ = acceptKeyword("INTERVAL")
        return try intervalBody()
    }

    private mutating func intervalBody() throws(SQLError) -> IntervalLiteral {
        let location = current.location
        guard case .string(let text) = current.kind else { throw unexpected("a quoted interval such as '5 seconds'") }
        _ = advance()
        let parts = text.split(separator: " ").map(String.init)
        var amount: Double?
        var unitName: String?
        if parts.count == 2 {
            amount = Double(parts[0])
            unitName = parts[1]
        } else if parts.count == 1 {
            amount = Double(parts[0])
            if case .identifier(let word) = current.kind, Self.unitMilliseconds(word) != nil {
                unitName = word
                _ = advance()
            }
        }
        guard let amount else { throw SQLError("'\(text)' is not an interval amount", at: location) }
        guard let unitName, let scale = Self.unitMilliseconds(unitName) else {
            throw SQLError("interval '\(text)' needs a unit (MILLISECOND, SECOND, MINUTE, HOUR, DAY)", at: location)
        }
        let milliseconds = (amount * Double(scale)).rounded()
        // Within ±100 years: anything longer is a typo, and would overflow time arithmetic.
        guard milliseconds.isFinite, abs(milliseconds) <= 3_155_760_000_000 else {
            throw SQLError("interval '\(text)' is out of range (at most 100 years)", at: location)
        }
        return IntervalLiteral(milliseconds: Int64(milliseconds))
    }

    private static func unitMilliseconds(_ word: String) -> Int64? {
        var unit = word.lowercased()
        if unit.hasSuffix("s") && unit.count > 2 { unit.removeLast() }
        switch unit {
        case "ms", "millisecond": return 1
        case "s", "sec", "second": return 1000
        case "m", "min", "minute": return 60_000
        case "h", "hour": return 3_600_000
        case "d", "day": return 86_400_000
        default: return nil
        }
    }
}
