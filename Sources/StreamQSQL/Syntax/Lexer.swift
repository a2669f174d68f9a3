/// Splits query text into tokens, over its UTF-8 bytes. Handles `--` and `/* */` comments,
/// 'strings' with '' escapes, "quoted identifiers", integers, decimals and exponents.
struct Lexer {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    static func tokenize(_ text: String) throws(SQLError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var location: SourceLocation {
        // Columns count characters, not bytes, so carets line up under non-ASCII text.
        let column = bytes[lineStart..<offset].reduce(0) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) } + 1
        return SourceLocation(line: line, column: column, offset: offset)
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    private mutating func advance() {
        if bytes[offset] == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        offset += 1
    }

    mutating func next() throws(SQLError) -> Token {
        try skipSpaceAndComments()
        let start = location
        guard let byte = peek() else { return Token(kind: .end, location: start) }
        switch byte {
        case UInt8(ascii: "'"):
            return Token(kind: .string(try quoted(UInt8(ascii: "'"), what: "string")), location: start)
        case UInt8(ascii: "\""):
            return Token(
                kind: .quotedIdentifier(try quoted(UInt8(ascii: "\""), what: "quoted identifier")),
                location: start
            )
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number(start)
        case UInt8(ascii: "."):
            if let next = peek(1), next >= UInt8(ascii: "0"), next <= UInt8(ascii: "9") { return try number(start) }
            advance()
            return Token(kind: .symbol("."), location: start)
        default:
            if Self.isIdentifierStart(byte) {
                let begin = offset
                while let next = peek(), Self.isIdentifierPart(next) { advance() }
                return Token(kind: .identifier(String(decoding: bytes[begin..<offset], as: UTF8.self)), location: start)
            }
            for symbol in ["->>", "::", "->", "<>", "!=", "<=", ">=", "||"] where matches(symbol) {
                for _ in 0..<symbol.utf8.count { advance() }
                return Token(kind: .symbol(symbol), location: start)
            }
            if "(),;[]+-*/%=<>".utf8.contains(byte) {
                advance()
                return Token(kind: .symbol(String(UnicodeScalar(byte))), location: start)
            }
            throw SQLError("unexpected character '\(String(decoding: [byte], as: UTF8.self))'", at: start)
        }
    }

    private func matches(_ symbol: String) -> Bool {
        for (index, byte) in symbol.utf8.enumerated() where peek(index) != byte { return false }
        return true
    }

    private mutating func skipSpaceAndComments() throws(SQLError) {
        while let byte = peek() {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                advance()
            } else if byte == UInt8(ascii: "-"), peek(1) == UInt8(ascii: "-") {
                while let next = peek(), next != 0x0A { advance() }
            } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let start = location
                advance()
                advance()
                while !(peek() == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/")) {
                    guard peek() != nil else { throw SQLError("unterminated /* comment", at: start) }
                    advance()
                }
                advance()
                advance()
            } else {
                return
            }
        }
    }

    /// Reads a quoted run; the quote character doubled inside stands for itself.
    private mutating func quoted(_ quote: UInt8, what: String) throws(SQLError) -> String {
        let start = location
        advance()
        var content: [UInt8] = []
        while true {
            guard let byte = peek() else { throw SQLError("unterminated \(what)", at: start) }
            advance()
            if byte == quote {
                if peek() == quote {
                    content.append(quote)
                    advance()
                    continue
                }
                return String(decoding: content, as: UTF8.self)
            }
            content.append(byte)
        }
    }

    private mutating func number(_ start: SourceLocation) throws(SQLError) -> Token {
        let begin = offset
        var isDecimal = false
        while let byte = peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { advance() }
        if peek() == UInt8(ascii: "."), let next = peek(1),
            next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9") || !Self.isIdentifierStart(next)
        {
            isDecimal = true
            advance()
            while let byte = peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { advance() }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            let save = (offset, line, lineStart)
            advance()
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { advance() }
            if let digit = peek(), digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") {
                isDecimal = true
                while let next = peek(), next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9") { advance() }
            } else {
                (offset, line, lineStart) = save
            }
        }
        let text = String(decoding: bytes[begin..<offset], as: UTF8.self)
        if let next = peek(), Self.isIdentifierStart(next) {
            throw SQLError("a number cannot run into a name: '\(text)\(String(UnicodeScalar(next)))'", at: start)
        }
        if !isDecimal, let value = Int64(text) { return Token(kind: .integer(value), location: start) }
        guard let value = Double(text) else { throw SQLError("invalid number '\(text)'", at: start) }
        return Token(kind: .decimal(value), location: start)
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
