/// Credentials or a region that cannot be found or read; the message names the variables and files
/// looked at and what is missing.
public struct AWSCredentialError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
