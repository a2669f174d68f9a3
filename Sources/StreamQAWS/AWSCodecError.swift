/// A body that is not valid JSON or CBOR, or breaks a decoder limit.
public struct AWSCodecError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// The byte offset in the body where the problem was found.
    public var offset: Int

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
