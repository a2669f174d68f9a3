/// A shard that continues a closed one, as GetRecords and SubscribeToShard report at the parent's end.
public struct ChildShard: Sendable, Equatable {
    public var shardID: String
    /// The closed shards it continues (one for a split, two for a merge).
    public var parentShards: [String]
    public var startingHashKey: String
    public var endingHashKey: String

    init(_ child: ResponseReader) throws(KinesisClientError) {
        shardID = try child.string("ShardId")
        parentShards = try child.stringList("ParentShards")
        let range = try child.required("HashKeyRange")
        startingHashKey = try range.string("StartingHashKey")
        endingHashKey = try range.string("EndingHashKey")
    }
}
