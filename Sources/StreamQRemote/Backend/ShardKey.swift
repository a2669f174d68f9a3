import StreamQStorage

/// One shard of one stream: what appends queue by and reads are paced by.
struct ShardKey: Hashable, Sendable {
    var stream: StreamName
    var shard: ShardID
}
