import StreamQAWS

/// A Kinesis call that failed: the operation, how many attempts were made, and why the last failed.
public struct KinesisClientError: Error, Sendable, CustomStringConvertible {
    /// Why an attempt failed (thrown by one attempt, and wrapped with the operation and attempt count).
    public enum Reason: Error, Sendable, Equatable {
        /// Kinesis answered with an error.
        case service(AWSError)
        /// No answer: the connection could not be made or broke, or the attempt timed out.
        case transport(String)
        /// An answer that is not a Kinesis response (not JSON, or a success body of the wrong shape).
        case invalidResponse(String)
        /// A request the HTTP client refuses to send (bad URL, TLS configuration).
        case invalidRequest(String)
    }

    /// The operation, e.g. `PutRecords`.
    public var operation: String
    /// Attempts made, the first included.
    public var attempts: Int
    public var reason: Reason

    public init(operation: String, attempts: Int, reason: Reason) {
        self.operation = operation
        self.attempts = attempts
        self.reason = reason
    }

    /// The service's error, when Kinesis answered with one.
    public var serviceError: AWSError? {
        guard case .service(let error) = reason else { return nil }
        return error
    }

    /// The service's error code, e.g. `ResourceNotFoundException`.
    public var code: String? { serviceError?.code }

    /// Whether another attempt may succeed: throttling, limits, 5xx and transport failures.
    public var isRetryable: Bool {
        switch reason {
        case .service(let error): error.httpStatus >= 500 || Self.retryableCodes.contains(error.code)
        case .transport: true
        case .invalidResponse, .invalidRequest: false
        }
    }

    static let retryableCodes: Set<String> = [
        "ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException",
        "KMSThrottlingException",
    ]

    /// The AWS error behind `error`: a ``KinesisClientError``'s service error or an ``AWSError``
    /// itself (as SubscribeToShard's in-stream exceptions are thrown).
    public static func serviceError(of error: any Error) -> AWSError? {
        (error as? KinesisClientError)?.serviceError ?? (error as? AWSError)
    }

    public var description: String {
        let attemptsText = attempts == 1 ? "" : " after \(attempts) attempts"
        switch reason {
        case .service(let error): return "Kinesis \(operation) failed\(attemptsText): \(error)"
        case .transport(let text): return "Kinesis \(operation) failed\(attemptsText): \(text)"
        case .invalidResponse(let text): return "Kinesis \(operation) answered an invalid response: \(text)"
        case .invalidRequest(let text): return "Kinesis \(operation) could not be sent: \(text)"
        }
    }
}
