/// What GetRecords answers.
public struct GetRecordsOutput: Sendable, Equatable {
    public var records: [KinesisRecord]
    /// The iterator for the next call; nil exactly when the shard is closed and fully read.
    public var nextShardIterator: String?
    /// How far the returned position is behind the shard's tip; 0 when caught up.
    public var millisBehindLatest: Int64?
    /// The shards that continue this one, reported once it is closed and fully read.
    public var childShards: [ChildShard]

    init(_ response: ResponseReader) throws(KinesisClientError) {
        var records: [KinesisRecord] = []
        for record in try response.list("Records") { records.append(try KinesisRecord(record)) }
        self.records = records
        nextShardIterator = try response.optionalString("NextShardIterator")
        millisBehindLatest = try response.optionalInteger("MillisBehindLatest")
        var children: [ChildShard] = []
        for child in try response.list("ChildShards") { children.append(try ChildShard(child)) }
        childShards = children
    }
}
