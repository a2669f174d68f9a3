/// A stream's open shards ordered by hash-key range: which shard a record goes to, as Kinesis
/// routes it (the shard whose range holds the MD5 of the partition key, or the explicit hash key).
public struct ShardRoutes: Sendable {
    /// The open shards, sorted by the start of their ranges (which together cover every key).
    public let shards: [ShardID]
    private let starts: [HashKey]

    /// The open shards of `description`.
    public init(_ description: StreamDescription) {
        self.init(description.openShards.map { ($0.hashKeyRange, $0.id) })
    }

    init(_ metadata: StreamMetadata) {
        self.init(metadata.shards.filter(\.isOpen).map { ($0.range, $0.id) })
    }

    private init(_ open: [(range: HashKeyRange, shard: ShardID)]) {
        let sorted = open.sorted { $0.range.start < $1.range.start }
        shards = sorted.map(\.shard)
        starts = sorted.map(\.range.start)
    }

    public var count: Int { shards.count }

    /// The position in ``shards`` of the shard owning `hashKey`.
    public func index(for hashKey: HashKey) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {  // the last shard whose range starts at or below the key
            let mid = (low + high + 1) / 2
            if starts[mid] <= hashKey { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The shard owning `hashKey`.
    public func shard(for hashKey: HashKey) -> ShardID { shards[index(for: hashKey)] }

    /// The shard a record goes to; with one open shard the key is not hashed at all.
    public func shard(forPartitionKey partitionKey: String, explicitHashKey: HashKey?) -> ShardID {
        if shards.count == 1 { return shards[0] }
        return shard(for: explicitHashKey ?? .forPartitionKey(partitionKey))
    }
}
