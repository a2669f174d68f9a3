import StreamQAWS
import StreamQStorage

/// SplitShard, MergeShards, UpdateShardCount and the retention period.
extension KinesisService {
    func splitShard(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let shardText = try reader.string("ShardToSplit", required: true, length: 1...128, pattern: .name)
        let keyText = try reader.string("NewStartingHashKey", required: true, pattern: .hashKey)
        let name = try streamName(&reader)
        try await changes.withLock {
            try refuseOnDemand(name, "SplitShard")
            let description = try describe(name)
            let shard = try openShard(shardText!, in: description)
            guard let key = HashKey(keyText!, radix: 10), key > shard.hashKeyRange.start + 1,
                key < shard.hashKeyRange.end
            else {
                throw KinesisErrors.invalidArgument(
                    "NewStartingHashKey \(keyText!) used in SplitShard() on shard \(shard.id) in stream \(name) under "
                        + "account \(account) is not both greater than one plus the shard's StartingHashKey "
                        + "\(shard.hashKeyRange.start) and less than the shard's EndingHashKey \(shard.hashKeyRange.end)."
                )
            }
            try await reshard(name, parents: [shard.id]) {
                try await store.splitShard(name, shard: shard.id, newStartingHashKey: key)
            }
        }
        return .null
    }

    func mergeShards(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let firstText = try reader.string("ShardToMerge", required: true, length: 1...128, pattern: .name)
        let secondText = try reader.string("AdjacentShardToMerge", required: true, length: 1...128, pattern: .name)
        let name = try streamName(&reader)
        try await changes.withLock {
            try refuseOnDemand(name, "MergeShards")
            let description = try describe(name)
            let first = try openShard(firstText!, in: description)
            let second = try openShard(secondText!, in: description)
            let ranges = [first.hashKeyRange, second.hashKeyRange].sorted { $0.start < $1.start }
            guard first.id != second.id, ranges[0].end != .max, ranges[0].end + 1 == ranges[1].start else {
                throw KinesisErrors.invalidArgument(
                    "Shards \(first.id) and \(second.id) in stream \(name) under account \(account) are not an adjacent "
                        + "pair of shards eligible for merging"
                )
            }
            try await reshard(name, parents: [first.id, second.id]) {
                [try await store.mergeShards(name, shard: first.id, adjacentShard: second.id)]
            }
        }
        return .null
    }

    func updateShardCount(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let target = try reader.integer("TargetShardCount", required: true, range: 1...Int64(Int32.max))
        _ = try reader.string("ScalingType", required: true, oneOf: ["UNIFORM_SCALING"])
        let name = try streamName(&reader)
        let current = try await changes.withLock {
            try refuseOnDemand(name, "UpdateShardCount")
            let open = try describe(name).openShards.count
            let target = Int(target!)
            guard target <= open * 2 else {
                throw KinesisErrors.limitExceeded(
                    "UpdateShardCount cannot scale up over double your current open shard count. Current open shard "
                        + "count: \(open) Target shard count: \(target)"
                )
            }
            guard target * 2 >= open else {
                throw KinesisErrors.limitExceeded(
                    "UpdateShardCount cannot scale down below half your current open shard count. Current open shard "
                        + "count: \(open) Target shard count: \(target)"
                )
            }
            let total = try openShardCount()
            guard total - open + target <= Self.shardLimit else {
                throw KinesisErrors.limitExceeded(
                    "This request would exceed the shard limit for the account \(account) in \(region)."
                )
            }
            try await scale(name, to: target)
            return open
        }
        return .map([
            "StreamName": .string(name.rawValue),
            "StreamARN": .string(arn(name)),
            "CurrentShardCount": .integer(Int64(current)),
            "TargetShardCount": .integer(target!),
        ])
    }

    func changeRetention(_ input: AWSValue, increase: Bool) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let requested = try reader.integer("RetentionPeriodHours", required: true)
        let name = try streamName(&reader)
        guard let hours = requested else { throw KinesisErrors.invalidArgument("RetentionPeriodHours is required.") }
        try await changes.withLock {
            let current = try describe(name).retention.milliseconds / 3_600_000
            guard (24...8760).contains(hours) else {
                throw KinesisErrors.invalidArgument(
                    "Minimum allowed retention period is 24 hours. Maximum allowed retention period is 8760 hours. "
                        + "Requested retention period (\(hours) hours) is too "
                        + (hours < 24 ? "short." : "long.")
                )
            }
            if increase && hours < current {
                throw KinesisErrors.invalidArgument(
                    "Requested retention period (\(hours) hours) for stream \(name) can not be shorter than existing "
                        + "retention period (\(current) hours). Use DecreaseRetentionPeriod API."
                )
            }
            if !increase && hours > current {
                throw KinesisErrors.invalidArgument(
                    "Requested retention period (\(hours) hours) for stream \(name) can not be longer than existing "
                        + "retention period (\(current) hours). Use IncreaseRetentionPeriod API."
                )
            }
            do {
                try store.setRetention(name, .seconds(hours * 3600))
            } catch {
                throw KinesisErrors.from(error, stream: name.rawValue, account: account)
            }
        }
        return .null
    }

    // MARK: Helpers

    /// An open shard of the stream, or the error AWS gives for a missing or closed one.
    private func openShard(_ text: String, in description: StreamDescription) throws -> ShardDescription {
        let shard = try shardID(text, in: description)
        guard shard.isOpen else {
            throw KinesisErrors.invalidArgument(
                "Shard \(shard.id) in stream \(description.name) under account \(account) has already been merged or "
                    + "split, and thus is not eligible for merging or splitting."
            )
        }
        return shard
    }

    private func refuseOnDemand(_ name: StreamName, _ operation: String) throws {
        if try existingAttributes(name).onDemand {
            throw AWSError(
                "ValidationException",
                "\(operation) is not supported for stream \(name) under account \(account) in ON_DEMAND mode."
            )
        }
    }

    /// Runs one reshard and records when its parents closed and its children opened (ListShards'
    /// timestamp filters use them).
    func reshard(_ name: StreamName, parents: [ShardID], _ operation: () async throws -> [ShardID]) async throws {
        let children: [ShardID]
        do {
            children = try await operation()
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
        let time = now()
        try updateAttributes(name) { attributes in
            for parent in parents { attributes.shardClosed[parent.number] = time }
            for child in children { attributes.shardOpened[child.number] = time }
        }
    }

    /// UNIFORM_SCALING: splits at every boundary of `target` equal ranges that is not a boundary
    /// yet, then merges what lies inside each range; the open shards end as the even split.
    func scale(_ name: StreamName, to target: Int) async throws {
        let wanted = HashKeyRange.evenSplit(into: target)
        for boundary in wanted.dropFirst().map(\.start) {
            let open = try describe(name).openShards
            guard let owner = open.first(where: { $0.hashKeyRange.contains(boundary) }),
                owner.hashKeyRange.start != boundary
            else { continue }
            try await reshard(name, parents: [owner.id]) {
                try await store.splitShard(name, shard: owner.id, newStartingHashKey: boundary)
            }
        }
        for range in wanted {
            while true {
                let inside = try describe(name).openShards
                    .filter { $0.hashKeyRange.start >= range.start && $0.hashKeyRange.end <= range.end }
                    .sorted { $0.hashKeyRange.start < $1.hashKeyRange.start }
                guard inside.count > 1 else { break }
                try await reshard(name, parents: [inside[0].id, inside[1].id]) {
                    [try await store.mergeShards(name, shard: inside[0].id, adjacentShard: inside[1].id)]
                }
            }
        }
    }
}
