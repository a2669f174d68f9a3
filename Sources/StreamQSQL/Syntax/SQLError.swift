/// A place in the query text: 1-based line and column, and the byte offset.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public var description: String { "line \(line), column \(column)" }
}

/// A query that cannot be parsed or planned: what is wrong and where.
public struct SQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(message)" }

    /// The message with the offending line of `query` and a caret under the column.
    public func rendered(in query: String) -> String {
        let lines = query.split(separator: "\n", omittingEmptySubsequences: false)
        guard location.line >= 1, location.line <= lines.count else { return description }
        let text = String(lines[location.line - 1])
        return "\(description)\n  \(text)\n  \(String(repeating: " ", count: max(0, location.column - 1)))^"
    }
}
