/// An error as an AWS service answers it: `{"__type": code, "message": message}` with an HTTP status.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exception name, e.g. `ResourceNotFoundException`.
    public var code: String
    /// The human-readable text.
    public var message: String
    /// 400 for client faults, 403 for missing authentication, 5xx for server faults.
    public var httpStatus: Int

    public init(_ code: String, _ message: String, httpStatus: Int = 400) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    /// The error body, `{"__type": code, "message": message}`.
    public var body: AWSValue { .map(["__type": .string(code), "message": .string(message)]) }

    public var description: String { "\(code) (\(httpStatus)): \(message)" }
}
