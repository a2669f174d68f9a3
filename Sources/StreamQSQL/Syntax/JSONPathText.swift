import StreamQJSON

/// JSON paths as `json_value` takes them: `$.a.b[0]`, `$['key with spaces']`, or a bare `a.b`.
enum JSONPathText {
    static func parse(_ text: String, _ location: SourceLocation) throws -> [JSONPathStep] {
        var characters = Substring(text)
        if characters.first == "$" { characters = characters.dropFirst() }
        var steps: [JSONPathStep] = []
        func fail() -> EvaluationError { EvaluationError(message: "invalid JSON path '\(text)'", location: location) }
        if let first = characters.first, first != "." && first != "[" {
            characters = "." + characters
        }
        while let next = characters.first {
            if next == "." {
                characters = characters.dropFirst()
                let key = characters.prefix { $0 != "." && $0 != "[" }
                guard !key.isEmpty else { throw fail() }
                steps.append(.key(String(key)))
                characters = characters.dropFirst(key.count)
            } else if next == "[" {
                characters = characters.dropFirst()
                guard let close = characters.firstIndex(of: "]") else { throw fail() }
                let inside = characters[..<close]
                if let index = Int(inside) {
                    steps.append(.index(index))
                } else if inside.count >= 2, let quote = inside.first, quote == "'" || quote == "\"",
                    inside.last == quote
                {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    throw fail()
                }
                characters = characters[characters.index(after: close)...]
            } else {
                throw fail()
            }
        }
        return steps
    }
}
