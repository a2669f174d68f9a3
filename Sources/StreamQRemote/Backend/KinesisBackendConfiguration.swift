/// How a ``KinesisBackend`` reads and writes. Every field has a default.
public struct KinesisBackendConfiguration: Sendable {
    /// GetRecords calls per second per shard while `waitForRecords` polls (AWS allows 5 per shard,
    /// shared by every reader of the shard). Reads that return records are not paced. Default 5.
    public var pollsPerSecondPerShard: Double = 5
    /// Cursors whose shard iterator (and records fetched ahead) are kept so that reading on from
    /// where a read left off costs one GetRecords; the oldest go first. Default 1,024.
    public var cachedIterators: Int = 1024
    /// Rounds of ``KinesisClient/putRecordsReliably(stream:records:idempotent:)`` one append may take to store
    /// records the service stored only part of, before the append fails. Default 3.
    public var appendRounds: Int = 3
    /// Pack each append's records into KPL aggregates (``KPLAggregator``), so many small records
    /// cost one Kinesis record (and one unit of the 1,000 records/s a shard takes); readers that
    /// de-aggregate (KCL, streamq) get the records back. The records of one aggregate share its
    /// sequence number. Default false.
    public var aggregateRecords = false
    /// The enhanced fan-out consumer to read through: with a name, the backend registers it on each
    /// stream it reads (if absent) and reads open shards from SubscribeToShard subscriptions, which
    /// push records as they arrive, instead of polling GetRecords. One reader per consumer name and
    /// shard at a time (a second subscription takes the shard over). Default nil: polling.
    public var consumerName: String?
    /// Bytes of records one shard's subscription holds before reads take them; beyond it the
    /// subscription stops taking events, holding the service back. Default 8 MiB.
    public var subscriptionBufferBytes: Int = 8 << 20

    public init() {}
}
