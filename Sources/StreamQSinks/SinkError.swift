/// A sink failure: what went wrong and where.
public struct SinkError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    static func io(_ message: String) -> SinkError { SinkError(message) }

    public var description: String { message }
}
