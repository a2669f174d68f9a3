import StreamQAWS
import StreamQRemote
import StreamQStorage

/// The stream administration commands over the Kinesis API (`--endpoint`).
enum RemoteAdministration {
    static func createStream(
        _ client: KinesisClient,
        _ name: String,
        shards: Int,
        retention: Duration,
        encryptWith keyID: String?
    ) async throws {
        let stream = KinesisStreamReference.name(name)
        try await client.createStream(name: name, shardCount: shards)
        _ = try await client.waitUntilActive(stream)
        let hours = retention.components.seconds / 3600
        if hours != 24 {
            guard retention.components.seconds % 3600 == 0, (24...8760).contains(hours) else {
                throw CommandFailure("through --endpoint, --retention must be whole hours from 24h to 8760h")
            }
            _ = try await client.call(
                "IncreaseStreamRetentionPeriod",
                .map(["StreamName": .string(name), "RetentionPeriodHours": .integer(hours)])
            )
        }
        if let keyID { try await startEncryption(client, name, keyID: keyID) }
    }

    /// StartStreamEncryption with `keyID`, returning once the stream is ACTIVE again.
    static func startEncryption(_ client: KinesisClient, _ name: String, keyID: String) async throws {
        _ = try await client.call(
            "StartStreamEncryption",
            .map(["StreamName": .string(name), "EncryptionType": .string("KMS"), "KeyId": .string(keyID)])
        )
        _ = try await client.waitUntilActive(.name(name))
    }

    /// `describe-stream` through the API: the summary and every shard within retention.
    static func describe(_ client: KinesisClient, _ name: String, json: Bool) async throws -> String {
        let stream = KinesisStreamReference.name(name)
        let summary = try await client.describeStreamSummary(stream)
        let shards = try await client.listShards(stream)
        if json {
            let value: AWSValue = .map([
                "StreamName": .string(summary.name),
                "StreamARN": .string(summary.arn),
                "StreamStatus": .string(summary.status),
                "RetentionPeriodHours": .integer(Int64(summary.retentionPeriodHours)),
                "EncryptionType": .string(summary.encryptionType ?? "NONE"),
                "OpenShardCount": .integer(Int64(summary.openShardCount)),
                "Shards": .list(
                    shards.map { shard in
                        var members: [String: AWSValue] = [
                            "ShardId": .string(shard.shardID),
                            "HashKeyRange": .map([
                                "StartingHashKey": .string(shard.startingHashKey),
                                "EndingHashKey": .string(shard.endingHashKey),
                            ]),
                            "StartingSequenceNumber": .string(shard.startingSequenceNumber),
                        ]
                        if let parent = shard.parentShardID { members["ParentShardId"] = .string(parent) }
                        if let adjacent = shard.adjacentParentShardID {
                            members["AdjacentParentShardId"] = .string(adjacent)
                        }
                        if let ending = shard.endingSequenceNumber { members["EndingSequenceNumber"] = .string(ending) }
                        return .map(members)
                    }
                ),
            ])
            return String(decoding: AWSJSON.encode(value), as: UTF8.self) + "\n"
        }
        var lines = [
            "stream     \(summary.name)",
            "arn        \(summary.arn)",
            "status     \(summary.status)",
            "created    \(summary.creationMilliseconds.map(formatTimestamp) ?? "-")",
            "retention  \(summary.retentionPeriodHours)h",
            "shards     \(shards.count) (\(shards.filter(\.isOpen).count) open)",
            "encryption \(summary.encryptionType ?? "NONE")" + (summary.keyID.map { " (key \($0))" } ?? ""),
            "",
        ]
        let rows = shards.map { shard in
            [
                shard.shardID, shard.isOpen ? "OPEN" : "CLOSED",
                [shard.parentShardID, shard.adjacentParentShardID].compactMap { $0 }.joined(separator: ",")
                    .ifEmpty("-"),
                shard.startingHashKey + ".." + shard.endingHashKey,
            ]
        }
        lines.append(contentsOf: TextTable.render(header: ["SHARD", "STATE", "PARENTS", "HASH KEY RANGE"], rows: rows))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Splits `shard` at `hashKey`, or in the middle of its range.
    static func split(_ client: KinesisClient, _ name: String, shard: String, hashKey: String?) async throws {
        let stream = KinesisStreamReference.name(name)
        let key: String
        if let hashKey {
            key = hashKey
        } else {
            guard let parent = try await client.listShards(stream).first(where: { $0.shardID == shard }),
                let start = HashKey(parent.startingHashKey), let end = HashKey(parent.endingHashKey)
            else { throw CommandFailure("stream '\(name)' has no shard \(shard)") }
            key = String(start + (end - start) / 2 + 1)
        }
        try await client.splitShard(stream, shardID: shard, newStartingHashKey: key)
        _ = try await client.waitUntilActive(stream)
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
