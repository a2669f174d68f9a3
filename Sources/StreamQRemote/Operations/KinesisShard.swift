/// A shard as ListShards describes it; hash keys and sequence numbers are decimal strings.
public struct KinesisShard: Sendable, Equatable {
    public var shardID: String
    public var parentShardID: String?
    /// The second parent of a merged shard.
    public var adjacentParentShardID: String?
    public var startingHashKey: String
    public var endingHashKey: String
    public var startingSequenceNumber: String
    /// Set once the shard is closed (by a split or merge).
    public var endingSequenceNumber: String?

    /// Whether the shard still takes writes.
    public var isOpen: Bool { endingSequenceNumber == nil }

    init(_ shard: ResponseReader) throws(KinesisClientError) {
        shardID = try shard.string("ShardId")
        parentShardID = try shard.optionalString("ParentShardId")
        adjacentParentShardID = try shard.optionalString("AdjacentParentShardId")
        let range = try shard.required("HashKeyRange")
        startingHashKey = try range.string("StartingHashKey")
        endingHashKey = try range.string("EndingHashKey")
        let sequenceRange = try shard.required("SequenceNumberRange")
        startingSequenceNumber = try sequenceRange.string("StartingSequenceNumber")
        endingSequenceNumber = try sequenceRange.optionalString("EndingSequenceNumber")
    }
}
