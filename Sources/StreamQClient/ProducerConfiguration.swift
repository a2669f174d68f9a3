/// How a ``StreamQProducer`` batches, bounds memory and retries. Every field has a default.
public struct StreamQProducerConfiguration: Sendable {
    /// A shard's batch is sent once it holds this many records. Default 500 (Kinesis PutRecords' limit).
    public var maxBatchRecords: Int = 500
    /// A shard's batch is sent once it holds this many bytes of data. Default 1 MiB.
    public var maxBatchBytes: Int = 1 << 20
    /// A batch that is not full is sent this long after its first record. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// Records waiting to be acknowledged may take at most this many bytes; `send` then suspends
    /// until there is room. It never drops records and never grows past the bound. Default 32 MiB.
    public var maxBufferedBytes: Int = 32 << 20
    /// Batches per shard sent before the previous ones are acknowledged. Order is kept. Default 5.
    public var maxInFlightPerShard: Int = 5
    /// Stamp batches so that storage drops a retried batch it already stored. Default true.
    public var idempotent: Bool = true
    /// Attempts per batch for retryable failures, with exponential backoff and jitter. Default 10.
    public var maxAttempts: Int = 10
    /// First retry delay; doubles per attempt up to `maxBackoff`. Default 20 ms.
    public var initialBackoff: Duration = .milliseconds(20)
    /// Default 2 s.
    public var maxBackoff: Duration = .seconds(2)

    public init() {}
}
