/// A persistent-query operation failed for a reason that is already a sentence for the user.
public struct PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
