/// Statements beyond `SELECT`: the ones that make a query's rows a stream (`CREATE STREAM … AS`,
/// `INSERT INTO`, `REPLACE QUERY`) and the ones that manage streams and persistent queries.
extension Parser {
    /// Parses one statement (a trailing `;` is allowed).
    public static func parseStatement(_ text: String) throws(SQLError) -> Statement {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        let statement = try parser.statement(text: text)
        _ = parser.acceptSymbol(";")
        guard parser.current.kind == .end else { throw parser.unexpected("the end of the statement") }
        return statement
    }

    /// Whether `text` starts as a statement other than a query (so a caller can send it to the
    /// statement runner rather than the query engine).
    public static func isManagementStatement(_ text: String) -> Bool {
        guard let tokens = try? Lexer.tokenize(text), let first = tokens.first?.keyword else { return false }
        return ["CREATE", "INSERT", "REPLACE", "DROP", "SHOW", "DESCRIBE", "STOP", "START", "TERMINATE"].contains(first)
    }

    private mutating func statement(text: String) throws(SQLError) -> Statement {
        if isKeyword("SELECT") {
            var query = try selectStatement()
            query.text = text
            return .select(query)
        }
        if acceptKeyword("CREATE") {
            try expectKeyword("STREAM")
            var ifNotExists = false
            if acceptKeyword("IF") {
                try expectKeyword("NOT")
                try expectKeyword("EXISTS")
                ifNotExists = true
            }
            let name = try identifier("a stream name after CREATE STREAM")
            var create = Statement.CreateStream(
                insert: Statement.Insert(target: name, query: SelectStatement.placeholder, partitionBy: []),
                ifNotExists: ifNotExists
            )
            if acceptKeyword("WITH") { try streamOptions(&create) }
            try expectKeyword("AS")
            create.insert = try insertedQuery(into: name, text: text)
            return .createStream(create)
        }
        if acceptKeyword("INSERT") {
            try expectKeyword("INTO")
            let name = try identifier("a stream name after INSERT INTO")
            return .insert(try insertedQuery(into: name, text: text))
        }
        if acceptKeyword("REPLACE") {
            try expectKeyword("QUERY")
            let name = try identifier("a query name after REPLACE QUERY")
            try expectKeyword("AS")
            return .replaceQuery(name: name, try insertedQuery(into: "", text: text))
        }
        if acceptKeyword("DROP") {
            try expectKeyword("STREAM")
            var ifExists = false
            if acceptKeyword("IF") {
                try expectKeyword("EXISTS")
                ifExists = true
            }
            return .dropStream(name: try identifier("a stream name after DROP STREAM"), ifExists: ifExists)
        }
        if acceptKeyword("SHOW") {
            if acceptKeyword("STREAMS") { return .showStreams }
            if acceptKeyword("QUERIES") { return .showQueries }
            throw unexpected("STREAMS or QUERIES after SHOW")
        }
        for (word, make) in [
            ("DESCRIBE", Statement.describeQuery), ("STOP", Statement.stopQuery), ("START", Statement.startQuery),
            ("TERMINATE", Statement.terminateQuery),
        ] where acceptKeyword(word) {
            try expectKeyword("QUERY")
            return make(try identifier("a query name after \(word) QUERY"))
        }
        throw unexpected(
            "SELECT, CREATE STREAM, INSERT INTO, REPLACE QUERY, DROP STREAM, SHOW, DESCRIBE, STOP, START or TERMINATE"
        )
    }

    /// `SELECT … [PARTITION BY expression, …]`; the query's own text is the SELECT's part of `text`.
    private mutating func insertedQuery(into target: String, text: String) throws(SQLError) -> Statement.Insert {
        guard isKeyword("SELECT") else { throw unexpected("SELECT") }
        let begin = current.location.offset
        var query = try selectStatement()
        if query.into != nil {
            throw SQLError("a query that feeds a stream cannot also write INTO files", at: query.source.location)
        }
        let end = current.location.offset
        var partitionBy: [Expression] = []
        if acceptKeyword("PARTITION") {
            try expectKeyword("BY")
            repeat {
                partitionBy.append(try expression())
            } while acceptSymbol(",")
        }
        let bytes = Array(text.utf8)
        query.text = String(decoding: bytes[begin..<min(end, bytes.count)], as: UTF8.self)
            .trimmingTrailingWhitespace()
        return Statement.Insert(target: target, query: query, partitionBy: partitionBy)
    }

    /// `(shards = N, retention = '7d')` after `WITH`.
    private mutating func streamOptions(_ create: inout Statement.CreateStream) throws(SQLError) {
        try expectSymbol("(")
        repeat {
            let location = current.location
            let option = try identifier("an option name (shards, retention)").lowercased()
            try expectSymbol("=")
            switch (option, current.kind) {
            case ("shards", .integer(let count)):
                guard (1...1000).contains(count) else {
                    throw SQLError("shards must be 1 to 1000, got \(count)", at: current.location)
                }
                create.shards = Int(count)
            case ("retention", .string(let text)):
                create.retention = text
            case ("shards", _), ("retention", _):
                throw unexpected(option == "shards" ? "a shard count" : "a quoted retention such as '7d'")
            default:
                throw SQLError("unknown stream option '\(option)' (shards, retention)", at: location)
            }
            _ = advance()
        } while acceptSymbol(",")
        try expectSymbol(")")
    }
}

extension SelectStatement {
    /// Stands in until the real query is parsed.
    static let placeholder = SelectStatement(
        items: [],
        source: Source(stream: "", location: SourceLocation(line: 1, column: 1, offset: 0))
    )
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
