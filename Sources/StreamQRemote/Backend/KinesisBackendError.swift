import StreamQClient

/// Something a Kinesis endpoint answered that the backend cannot map onto streamq's model: a
/// sequence number of an unknown form, or a shard id or hash key that does not parse.
public struct KinesisBackendError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

/// An append that stored nothing and may succeed if sent again (the endpoint was unreachable,
/// throttled or failing): ``StreamQProducer`` retries such appends with backoff.
public struct KinesisTransientAppendError: RetryableError, CustomStringConvertible {
    /// Why the append failed.
    public var underlying: any Error

    public var description: String { "\(underlying)" }
}
