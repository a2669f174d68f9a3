/// A row-level failure while evaluating an expression (division by zero, a failed CAST, integer
/// overflow). The query routes the row to its error output with this message; it never crashes.
public struct EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation

    public var description: String { "\(location): \(message)" }
}
