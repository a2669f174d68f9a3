/// One lexical unit of a query.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A bare word; keywords are identifiers the parser recognises (case-insensitive).
        case identifier(String)
        /// A "double-quoted" identifier: never a keyword, case preserved.
        case quotedIdentifier(String)
        case string(String)
        case integer(Int64)
        case decimal(Double)
        /// Operators and punctuation: `( ) , . ; [ ] + - * / % = <> != < <= > >= || :: -> ->>`.
        case symbol(String)
        case end
    }

    var kind: Kind
    var location: SourceLocation

    /// The word in upper case if this is a bare identifier, for keyword checks.
    var keyword: String? {
        if case .identifier(let word) = kind { return word.uppercased() }
        return nil
    }

    var describedForError: String {
        switch kind {
        case .identifier(let word): "'\(word)'"
        case .quotedIdentifier(let word): "\"\(word)\""
        case .string(let text): "string '\(text)'"
        case .integer(let value): "number \(value)"
        case .decimal(let value): "number \(value)"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "the end of the query"
        }
    }
}
