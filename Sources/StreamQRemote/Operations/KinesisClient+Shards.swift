import StreamQAWS

extension KinesisClient {
    /// Every shard of the stream that `filter` selects, across pages.
    ///
    /// The first request names the stream (and filter); the following ones send `NextToken` and
    /// nothing else but `MaxResults`, as AWS requires (botocore's paginator gets this wrong,
    /// boto/botocore#2009). `pageSize` is sent only when given: moto refuses `MaxResults` beside
    /// `NextToken`.
    public func listShards(
        _ stream: KinesisStreamReference,
        filter: ShardFilter? = nil,
        pageSize: Int? = nil
    ) async throws -> [KinesisShard] {
        var shards: [KinesisShard] = []
        var extra: [String: AWSValue] = [:]
        if let pageSize { extra["MaxResults"] = .integer(Int64(pageSize)) }
        var first = extra
        if let filter { first["ShardFilter"] = filter.value }
        var input = stream.input(first)
        while true {
            let response = ResponseReader("ListShards", try await call("ListShards", input, streamARN: stream.arn))
            for shard in try response.list("Shards") { shards.append(try KinesisShard(shard)) }
            guard let token = try response.optionalString("NextToken") else { return shards }
            extra["NextToken"] = .string(token)
            input = .map(extra)
        }
    }

    /// Splits `shardID` into `[start, newStartingHashKey - 1]` and `[newStartingHashKey, end]`.
    public func splitShard(_ stream: KinesisStreamReference, shardID: String, newStartingHashKey: String) async throws {
        let members: [String: AWSValue] = [
            "ShardToSplit": .string(shardID), "NewStartingHashKey": .string(newStartingHashKey),
        ]
        _ = try await call("SplitShard", stream.input(members), streamARN: stream.arn)
    }

    /// Merges two shards with adjacent hash key ranges.
    public func mergeShards(_ stream: KinesisStreamReference, shardID: String, adjacentShardID: String) async throws {
        let members: [String: AWSValue] = [
            "ShardToMerge": .string(shardID), "AdjacentShardToMerge": .string(adjacentShardID),
        ]
        _ = try await call("MergeShards", stream.input(members), streamARN: stream.arn)
    }

    /// Reshards to `targetShardCount` open shards of equal size (UNIFORM_SCALING).
    public func updateShardCount(
        _ stream: KinesisStreamReference,
        targetShardCount: Int
    ) async throws -> (currentShardCount: Int, targetShardCount: Int) {
        let members: [String: AWSValue] = [
            "TargetShardCount": .integer(Int64(targetShardCount)), "ScalingType": .string("UNIFORM_SCALING"),
        ]
        let response = ResponseReader(
            "UpdateShardCount",
            try await call("UpdateShardCount", stream.input(members), streamARN: stream.arn)
        )
        return (Int(try response.integer("CurrentShardCount")), Int(try response.integer("TargetShardCount")))
    }
}
