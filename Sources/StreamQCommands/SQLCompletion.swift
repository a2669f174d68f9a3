/// Tab completion in `streamq sql`: the words that can replace the identifier characters just
/// before the cursor, from what the shell knows. A pure function of the text; the line editor
/// (LineEditor.swift) calls it and the shell (SQLShellCatalog.swift) supplies the names.
enum SQLCompletion {
    /// What can be offered besides the dialect's keywords.
    struct Names: Sendable {
        /// Function names, lower case (SQLFunctionNames.all).
        var functions: [String] = []
        var streams: [String] = []
        /// Field names by stream; only the streams the statement reads are offered.
        var fields: [String: [String]] = [:]
    }

    /// The words the parser recognises, and the units of INTERVAL.
    static let keywords: [String] = [
        "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CHANGES", "DAY", "DELAY", "DESC", "DISTINCT", "DROP",
        "ELSE", "EMIT", "END", "EXTRACT", "FALSE", "FILTER", "FINAL", "FIRST", "FROM", "GROUP", "HAVING", "HOUR",
        "ILIKE", "IN", "INTERVAL", "INTO", "IS", "LAST", "LATE", "LIKE", "LIMIT", "MILLISECOND", "MINUTE", "NOT",
        "NULL",
        "NULLS", "ON", "OR", "ORDER", "ROWTIME", "SECOND", "SELECT", "THEN", "TRUE", "TRY_CAST", "UPDATE", "WATERMARK",
        "WHEN", "WHERE", "WITHIN",
    ]

    /// The shell's dot commands, without the dot.
    static let commands = ["exit", "explain", "help", "history", "quit", "schema", "streams"]

    /// Candidates for the word ending at the cursor. `before` is the statement up to the cursor
    /// (earlier lines of a multi-line statement included), `after` the rest of the line. Each
    /// candidate replaces the trailing identifier characters of `before` (letters, digits, `_`,
    /// non-ASCII). After FROM and `.schema`: stream names. After `.`: command names at the start
    /// of a statement, otherwise field names. Elsewhere: field names of the streams the statement
    /// reads, then, once a prefix is typed, functions and keywords in the prefix's case. Names
    /// that are not plain identifiers come double-quoted. Inside a string or comment: nothing.
    static func candidates(before: String, after: String = "", names: Names) -> [String] {
        let (pieces, end) = scan(before)
        let partial = String(before.reversed().prefix(while: isIdentifierPart).reversed())
        let fields = streams(namedIn: before + after, known: names.streams).flatMap { names.fields[$0] ?? [] }
        switch end {
        case .string, .comment:
            return []
        case .quotedName(let typed):
            let pool = pieces.last.map(isFrom) == true ? names.streams : fields
            let kept = typed.count - partial.count
            return unique(pool.filter { $0.hasPrefix(typed) }.map { String($0.dropFirst(kept)) + "\"" })
        case .code:
            break
        }
        if partial.first?.isNumber == true { return [] }
        var context = pieces
        if !partial.isEmpty { context.removeLast() }
        if context.first == .symbol(".") {
            switch context.dropFirst().first {
            case nil: return commands.filter { $0.hasPrefix(partial.lowercased()) }
            case .word(let command) where command.lowercased() == "schema" && context.count == 2:
                return matching(names.streams, partial)
            case .word(let command) where command.lowercased() == "explain":
                context.removeFirst(2)
            default: return []
            }
        }
        if context.last.map(isFrom) == true { return matching(names.streams, partial) }
        if context.last == .symbol(".") || partial.isEmpty { return matching(fields, partial) }
        let upper = partial.contains { $0.isUppercase }
        let words = (names.functions + keywords).map { upper ? $0.uppercased() : $0.lowercased() }
        return unique(matching(fields, partial) + words.filter { $0.lowercased().hasPrefix(partial.lowercased()) })
    }

    /// The known streams a statement reads: the names after FROM.
    static func streams(namedIn statement: String, known: [String]) -> [String] {
        let pieces = scan(statement).pieces
        var named: [String] = []
        for (index, piece) in pieces.enumerated().dropLast() where isFrom(piece) {
            switch pieces[index + 1] {
            case .word(let name), .quotedName(let name): if known.contains(name) { named.append(name) }
            case .symbol: continue
            }
        }
        return unique(named)
    }

    /// Names starting with `prefix` (any case), quoted when they are not plain identifiers.
    private static func matching(_ names: [String], _ prefix: String) -> [String] {
        unique(names.filter { $0.lowercased().hasPrefix(prefix.lowercased()) }.map(quotedIfNeeded))
    }

    private static func quotedIfNeeded(_ name: String) -> String {
        let plain =
            name.first.map { !$0.isNumber } == true && name.allSatisfy(isIdentifierPart)
            && !keywords.contains(name.uppercased())
        return plain ? name : "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    private static func unique(_ words: [String]) -> [String] { Array(Set(words)).sorted() }

    private static func isFrom(_ piece: Piece) -> Bool {
        if case .word(let word) = piece { word.uppercased() == "FROM" } else { false }
    }

    /// Letters, digits, `_` and anything beyond ASCII: what the lexer reads as one identifier.
    static func isIdentifierPart(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_" || !character.isASCII
    }

    private enum Piece: Equatable {
        case word(String)
        case quotedName(String)
        case symbol(Character)
    }

    /// What the scanned text ends inside of.
    private enum End {
        case code
        case string
        /// An unterminated "quoted name", with what is typed of it.
        case quotedName(String)
        case comment
    }

    /// Splits text into words, quoted names and symbols, skipping 'strings' and comments.
    private static func scan(_ text: String) -> (pieces: [Piece], end: End) {
        let characters = Array(text)
        var pieces: [Piece] = []
        var index = 0
        /// The index just past the closing `quote` of a quoted run starting at `index` ('' and ""
        /// escape the quote), or nil when the text ends inside it.
        func closing(_ quote: Character) -> Int? {
            var cursor = index + 1
            while cursor < characters.count {
                if characters[cursor] == quote {
                    if cursor + 1 < characters.count && characters[cursor + 1] == quote {
                        cursor += 2
                        continue
                    }
                    return cursor + 1
                }
                cursor += 1
            }
            return nil
        }
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "'":
                guard let past = closing("'") else { return (pieces, .string) }
                pieces.append(.symbol("'"))
                index = past
            case "\"":
                guard let past = closing("\"") else {
                    let typed = String(characters[(index + 1)...]).replacing("\"\"", with: "\"")
                    return (pieces, .quotedName(typed))
                }
                pieces.append(
                    .quotedName(String(characters[(index + 1)..<(past - 1)]).replacing("\"\"", with: "\""))
                )
                index = past
            case "-" where next == "-":
                guard let newline = characters[index...].firstIndex(of: "\n") else { return (pieces, .comment) }
                index = newline + 1
            case "/" where next == "*":
                var cursor = index + 2
                while cursor + 1 < characters.count && !(characters[cursor] == "*" && characters[cursor + 1] == "/") {
                    cursor += 1
                }
                guard cursor + 1 < characters.count else { return (pieces, .comment) }
                index = cursor + 2
            case _ where isIdentifierPart(character):
                let start = index
                while index < characters.count && isIdentifierPart(characters[index]) { index += 1 }
                pieces.append(.word(String(characters[start..<index])))
            case _ where character.isWhitespace:
                index += 1
            default:
                pieces.append(.symbol(character))
                index += 1
            }
        }
        return (pieces, .code)
    }
}
