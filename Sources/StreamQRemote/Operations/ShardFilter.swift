import StreamQAWS

/// ListShards' `ShardFilter`: which shards to list.
public enum ShardFilter: Sendable, Equatable {
    /// Shards after this one in ID order.
    case afterShardID(String)
    /// Shards open at the trim horizon.
    case atTrimHorizon
    /// Every shard within retention (the default without a filter).
    case fromTrimHorizon
    /// Open shards only.
    case atLatest
    /// Shards open at this time (epoch milliseconds).
    case atTimestamp(milliseconds: Int64)
    /// Shards closed after this time (epoch milliseconds), and the open ones.
    case fromTimestamp(milliseconds: Int64)

    var value: AWSValue {
        switch self {
        case .afterShardID(let shardID): .map(["Type": .string("AFTER_SHARD_ID"), "ShardId": .string(shardID)])
        case .atTrimHorizon: .map(["Type": .string("AT_TRIM_HORIZON")])
        case .fromTrimHorizon: .map(["Type": .string("FROM_TRIM_HORIZON")])
        case .atLatest: .map(["Type": .string("AT_LATEST")])
        case .atTimestamp(let milliseconds):
            .map(["Type": .string("AT_TIMESTAMP"), "Timestamp": .timestamp(milliseconds: milliseconds)])
        case .fromTimestamp(let milliseconds):
            .map(["Type": .string("FROM_TIMESTAMP"), "Timestamp": .timestamp(milliseconds: milliseconds)])
        }
    }
}
