/// How a ``KinesisBackend`` reads and writes. Every field has a default.
public struct KinesisBackendConfiguration: Sendable {
    /// GetRecords calls per second per shard while `waitForRecords` polls (AWS allows 5 per shard,
    /// shared by every reader of the shard). Reads that return records are not paced. Default 5.
    public var pollsPerSecondPerShard: Double = 5
    /// Cursors whose shard iterator (and records fetched ahead) are kept so that reading on from
    /// where a read left off costs one GetRecords; the oldest go first. Default 1,024.
    public var cachedIterators: Int = 1024
    /// Rounds of ``KinesisClient/putRecordsReliably(stream:records:)`` one append may take to store
    /// records the service stored only part of, before the append fails. Default 3.
    public var appendRounds: Int = 3

    public init() {}
}
