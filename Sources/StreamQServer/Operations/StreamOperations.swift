import StreamQAWS
import StreamQStorage

/// CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary and ListStreams.
extension KinesisService {
    /// The shards an on-demand stream starts with, as on AWS.
    static let onDemandShardCount = 4
    /// The most shards the server holds across its streams (DescribeLimits' ShardLimit).
    static let shardLimit = 1024

    func createStream(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let nameText = try reader.string("StreamName", required: true, length: 1...128, pattern: .name)
        let shardCount = try reader.integer("ShardCount", range: 1...Int64(Int32.max))
        let mode = try reader.map("StreamModeDetails").map { details in
            try reader.nested(.map(details), at: "StreamModeDetails") { nested in
                try nested.string("StreamMode", required: true, oneOf: ["PROVISIONED", "ON_DEMAND"])
            }
        }
        let tags = try readTags(&reader, key: "Tags", required: false)
        _ = try reader.integer("MaxRecordSizeInKiB", range: 1024...10240)
        _ = try reader.integer("WarmThroughputMiBps", range: 0...Int64(Int32.max))
        try reader.finish()
        let onDemand = mode == "ON_DEMAND"
        guard let nameText, let name = StreamName(rawValue: nameText) else {
            throw KinesisErrors.invalidArgument("Stream name \(nameText ?? "") is not allowed.")
        }
        let shards: Int
        if onDemand {
            shards = Int(shardCount ?? Int64(Self.onDemandShardCount))
        } else {
            guard let shardCount else {
                throw KinesisErrors.invalidArgument("ShardCount is required for a PROVISIONED stream.")
            }
            shards = Int(shardCount)
        }
        if let tags, tags.count > Self.maxTags {
            throw KinesisErrors.invalidArgument(
                "Failed to create stream \(name) under account \(account) because a stream cannot have more than "
                    + "\(Self.maxTags) tags."
            )
        }
        try await changes.withLock {
            let open = try openShardCount()
            guard open + shards <= Self.shardLimit else {
                throw KinesisErrors.limitExceeded(
                    "This request would exceed the shard limit for the account \(account) in \(region). "
                        + "Current shard count for the account: \(open). Limit: \(Self.shardLimit). "
                        + "Number of additional shards that would have resulted from this request: \(shards)."
                )
            }
            do {
                try store.createStream(name, shardCount: shards)
            } catch {
                throw KinesisErrors.from(error, stream: name.rawValue, account: account)
            }
            forgetAttributes(name)
            if onDemand || !(tags ?? [:]).isEmpty {
                try updateAttributes(name) { attributes in
                    attributes.onDemand = onDemand
                    attributes.tags = tags ?? [:]
                }
            }
        }
        return .null
    }

    func deleteStream(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let enforce = try reader.bool("EnforceConsumerDeletion") ?? false
        let name = try streamName(&reader)
        try await changes.withLock {
            let attributes = try existingAttributes(name)
            if !attributes.consumers.isEmpty && !enforce {
                throw AWSError(
                    "ResourceInUseException",
                    "Stream \(name) under account \(account) has registered consumers; "
                        + "deregister them or set EnforceConsumerDeletion."
                )
            }
            do {
                try await store.deleteStream(name)
            } catch {
                throw KinesisErrors.from(error, stream: name.rawValue, account: account)
            }
            forgetAttributes(name)
        }
        return .null
    }

    func describeStream(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let limit = try reader.integer("Limit", range: 1...10000) ?? 100
        let exclusiveStart = try reader.string("ExclusiveStartShardId", length: 1...128, pattern: .name)
        let name = try streamName(&reader)
        let description = try describe(name)
        let attributes = try self.attributes(name)
        var shards = description.shards.sorted { $0.id < $1.id }
        if let exclusiveStart {
            let start = ShardID(parsing: exclusiveStart)?.number ?? UInt32.max
            shards = shards.filter { $0.id.number > start }
        }
        let page = shards.prefix(Int(min(limit, 100)))
        var body = streamSummary(description, attributes: attributes)
        body["Shards"] = .list(page.map { shardValue($0, in: description) })
        body["HasMoreShards"] = .bool(page.count < shards.count)
        body.removeValue(forKey: "OpenShardCount")
        body.removeValue(forKey: "ConsumerCount")
        return .map(["StreamDescription": .map(body)])
    }

    func describeStreamSummary(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let name = try streamName(&reader)
        let description = try describe(name)
        return .map(["StreamDescriptionSummary": .map(streamSummary(description, attributes: try attributes(name)))])
    }

    func listStreams(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let limit = Int(min(try reader.integer("Limit", range: 1...10000) ?? 100, 100))
        var exclusiveStart = try reader.string("ExclusiveStartStreamName", length: 1...128, pattern: .name)
        let nextToken = try reader.string("NextToken", length: 1...1_048_576)
        try reader.finish()
        if let nextToken {
            guard exclusiveStart == nil else {
                throw KinesisErrors.invalidArgument(
                    "NextToken and ExclusiveStartStreamName cannot be provided together."
                )
            }
            let fields = try openToken(.listStreams, nextToken)
            guard case .text(let last) = fields.first else { throw KinesisErrors.invalidArgument("Invalid NextToken.") }
            exclusiveStart = last
        }
        var names = try store.listStreams().map(\.rawValue)
        if let exclusiveStart { names = names.filter { $0 > exclusiveStart } }
        let page = Array(names.prefix(limit))
        var summaries: [AWSValue] = []
        for name in page {
            guard let stream = StreamName(rawValue: name), let description = try? store.describeStream(stream) else {
                continue
            }
            let onDemand = (try? attributes(stream).onDemand) ?? false
            summaries.append(
                .map([
                    "StreamName": .string(name),
                    "StreamARN": .string(arn(stream)),
                    "StreamStatus": .string("ACTIVE"),
                    "StreamModeDetails": .map(["StreamMode": .string(onDemand ? "ON_DEMAND" : "PROVISIONED")]),
                    "StreamCreationTimestamp": .timestamp(milliseconds: description.createdAtMilliseconds),
                ])
            )
        }
        var output: [String: AWSValue] = [
            "StreamNames": .list(page.map { .string($0) }),
            "HasMoreStreams": .bool(page.count < names.count),
            "StreamSummaries": .list(summaries),
        ]
        if page.count < names.count, let last = page.last {
            output["NextToken"] = .string(tokens.seal(.listStreams, [.text(last)], now: now()))
        }
        return .map(output)
    }

    // MARK: Shapes

    /// The members DescribeStream and DescribeStreamSummary share.
    func streamSummary(_ description: StreamDescription, attributes: StreamAttributes) -> [String: AWSValue] {
        var body: [String: AWSValue] = [
            "StreamName": .string(description.name.rawValue),
            "StreamARN": .string(arn(description.name)),
            "StreamStatus": .string("ACTIVE"),
            "StreamModeDetails": .map(["StreamMode": .string(attributes.onDemand ? "ON_DEMAND" : "PROVISIONED")]),
            "RetentionPeriodHours": .integer(description.retention.milliseconds / 3_600_000),
            "StreamCreationTimestamp": .timestamp(milliseconds: description.createdAtMilliseconds),
            "EnhancedMonitoring": .list([
                .map(["ShardLevelMetrics": .list(attributes.shardLevelMetrics.map { .string($0) })])
            ]),
            "EncryptionType": .string(description.encryption.type.rawValue),
            "OpenShardCount": .integer(Int64(description.openShards.count)),
            "ConsumerCount": .integer(Int64(attributes.consumers.count)),
            "MaxRecordSizeInKiB": .integer(Int64(store.configuration.maxRecordBytes / 1024)),
        ]
        if let keyID = description.encryption.keyID { body["KeyId"] = .string(keyID) }
        return body
    }

    func shardValue(_ shard: ShardDescription, in description: StreamDescription) -> AWSValue {
        var range: [String: AWSValue] = [
            "StartingSequenceNumber": .string(
                boundarySequenceNumber(shard.startingSequenceNumber.sequence, shard: shard.id, in: description)
            )
        ]
        if !shard.isOpen {
            // A closed shard always has an end: its last record or, if it got none, its start.
            let ending =
                shard.endingSequenceNumber.map { recordSequenceNumber($0.sequence, shard: shard.id, in: description) }
                ?? boundarySequenceNumber(shard.startingSequenceNumber.sequence, shard: shard.id, in: description)
            range["EndingSequenceNumber"] = .string(ending)
        }
        var value: [String: AWSValue] = [
            "ShardId": .string(shard.id.description),
            "HashKeyRange": hashKeyRangeValue(shard.hashKeyRange),
            "SequenceNumberRange": .map(range),
        ]
        if let parent = shard.parents.first { value["ParentShardId"] = .string(parent.description) }
        if shard.parents.count > 1 { value["AdjacentParentShardId"] = .string(shard.parents[1].description) }
        return .map(value)
    }

    func hashKeyRangeValue(_ range: HashKeyRange) -> AWSValue {
        .map(["StartingHashKey": .string(String(range.start)), "EndingHashKey": .string(String(range.end))])
    }

    /// The attributes of a stream that must exist.
    func existingAttributes(_ name: StreamName) throws -> StreamAttributes {
        _ = try describe(name)
        return try attributes(name)
    }

    func openShardCount() throws -> Int {
        try store.listStreams().reduce(0) { total, name in
            total + ((try? store.describeStream(name).openShards.count) ?? 0)
        }
    }

    /// Opens a NextToken of `kind`, answering AWS's errors for a bad or expired one.
    func openToken(_ kind: TokenSealer.Kind, _ token: String) throws -> [TokenSealer.Field] {
        do {
            return try tokens.open(kind, token, now: now())
        } catch .expired {
            throw AWSError("ExpiredNextTokenException", "The requested NextToken has expired.")
        } catch {
            throw KinesisErrors.invalidArgument("Invalid NextToken.")
        }
    }
}
