/// An S3 call that failed: the operation, the bucket and key, the attempts made, and why the last
/// one failed. Its description is one line, e.g.
/// `S3 PutObject s3://logs/out/part-00000000-0000.jsonl failed: NoSuchBucket (404): The specified bucket does not exist`.
public struct S3ClientError: Error, Sendable, CustomStringConvertible {
    /// Why an attempt failed.
    public enum Reason: Error, Sendable, Equatable {
        /// S3 answered with an error (`<Error><Code>…`), or with a status and no error body.
        case service(code: String, message: String, httpStatus: Int)
        /// No answer: the connection could not be made or broke, or the attempt timed out.
        case transport(String)
        /// An answer that is not the expected XML.
        case invalidResponse(String)
        /// A request the HTTP client refuses to send (bad URL, TLS configuration), or a local file
        /// that cannot be read.
        case invalidRequest(String)
    }

    /// The operation, e.g. `PutObject`.
    public var operation: String
    public var bucket: String
    /// The key, or nil for a bucket operation (ListObjectsV2, DeleteObjects).
    public var key: String?
    /// Attempts made, the first included.
    public var attempts: Int
    public var reason: Reason

    public init(operation: String, bucket: String, key: String?, attempts: Int, reason: Reason) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.attempts = attempts
        self.reason = reason
    }

    /// S3's error code, e.g. `NoSuchBucket`, when S3 answered with one.
    public var code: String? {
        guard case .service(let code, _, _) = reason else { return nil }
        return code
    }

    /// Whether another attempt may succeed: 5xx, throttling, S3's request timeouts, transport failures.
    public var isRetryable: Bool {
        switch reason {
        case .service(let code, _, let status): status >= 500 || status == 429 || Self.retryableCodes.contains(code)
        case .transport: true
        case .invalidResponse, .invalidRequest: false
        }
    }

    static let retryableCodes: Set<String> = [
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
        "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled",
    ]

    public var description: String {
        let object = "s3://\(bucket)" + (key.map { "/" + $0 } ?? "")
        let attemptsText = attempts == 1 ? "" : " after \(attempts) attempts"
        switch reason {
        case .service(let code, let message, let status):
            return "S3 \(operation) \(object) failed\(attemptsText): \(code) (\(status))"
                + (message.isEmpty ? "" : ": \(message)")
        case .transport(let text): return "S3 \(operation) \(object) failed\(attemptsText): \(text)"
        case .invalidResponse(let text): return "S3 \(operation) \(object) answered an invalid response: \(text)"
        case .invalidRequest(let text): return "S3 \(operation) \(object) could not be sent: \(text)"
        }
    }
}
