/// One event of a SubscribeToShard stream.
public struct SubscribeToShardEvent: Sendable, Equatable {
    public var records: [KinesisRecord]
    /// Where a new subscription continues from (with AFTER_SEQUENCE_NUMBER), even when no records
    /// came; nil at the shard's end, when ``childShards`` are given.
    public var continuationSequenceNumber: String?
    /// How far the subscription is behind the shard's tip; 0 when caught up.
    public var millisBehindLatest: Int64
    /// The shards that continue this one, once it is closed and fully read.
    public var childShards: [ChildShard]

    init(_ event: ResponseReader) throws(KinesisClientError) {
        var records: [KinesisRecord] = []
        for record in try event.list("Records") { records.append(try KinesisRecord(record)) }
        self.records = records
        continuationSequenceNumber = try event.optionalString("ContinuationSequenceNumber")
        millisBehindLatest = try event.optionalInteger("MillisBehindLatest") ?? 0
        var children: [ChildShard] = []
        for child in try event.list("ChildShards") { children.append(try ChildShard(child)) }
        childShards = children
    }
}
