import ArgumentParser
import FoundationEssentials
import StreamQClient
import StreamQJSON
import StreamQRemote
import StreamQStorage

struct CreateStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-stream", abstract: "Create a stream.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "Stream name: 1-128 characters from A-Z a-z 0-9 _ . -") var name: String
    @Option(help: "Number of shards (1-1024).") var shards: Int = 1
    @Option(help: "How long records are kept, e.g. 24h, 7d (1s to 365d).") var retention: String = "24h"
    @Option(name: .customLong("retention-bytes"), help: "Optional cap on stored bytes per shard.") var retentionBytes:
        Int?
    @Option(
        name: .customLong("encrypt-with"),
        help: "Encrypt from the first record with this master key, e.g. alias/logs."
    )
    var encryptWith: String?

    func run() async throws {
        let name = try streamName(name)
        let retention = try parseDuration(retention)
        if let endpoint = store.remoteEndpoint {
            guard retentionBytes == nil else {
                throw CommandFailure("--retention-bytes is not part of the Kinesis API")
            }
            try await store.withRemote(endpoint) { client in
                try await RemoteAdministration.createStream(
                    client,
                    name.rawValue,
                    shards: shards,
                    retention: retention,
                    encryptWith: encryptWith
                )
            }
            StandardStreams.writeOutput("created stream \(name) with \(shards) shard\(shards == 1 ? "" : "s")\n")
            return
        }
        try await store.withStore { store in
            try store.createStream(
                name,
                shardCount: shards,
                retention: retention,
                retentionBytes: retentionBytes,
                encryptWith: encryptWith
            )
        }
        StandardStreams.writeOutput("created stream \(name) with \(shards) shard\(shards == 1 ? "" : "s")\n")
    }
}

struct ListStreams: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-streams", abstract: "List streams.")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print a JSON array.") var json = false

    func run() async throws {
        let names: [String]
        if let endpoint = store.remoteEndpoint {
            names = try await store.withRemote(endpoint) { try await $0.listStreams() }
        } else {
            names = try await store.withStore(mode: .readOnly) { try $0.listStreams() }.map(\.rawValue)
        }
        if json {
            StandardStreams.writeOutput(
                "[" + names.map { JSONString.quoted($0) }.joined(separator: ",") + "]\n"
            )
        } else {
            StandardStreams.writeOutput(names.map { $0 + "\n" }.joined())
        }
    }
}

struct DescribeStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe-stream",
        abstract: "Show a stream's shards, hash ranges, lineage and sequences."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Flag(help: "Print JSON in the shape of Kinesis DescribeStream, plus storage details.") var json = false

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            let json = json
            let text = try await store.withRemote(endpoint) {
                try await RemoteAdministration.describe($0, name.rawValue, json: json)
            }
            StandardStreams.writeOutput(text)
            return
        }
        let description = try await store.withStore(mode: .readOnly) { try $0.describeStream(name) }
        StandardStreams.writeOutput(json ? try Self.json(description) : Self.table(description))
    }

    static func table(_ stream: StreamDescription) -> String {
        var lines = [
            "stream     \(stream.name)",
            "created    \(formatTimestamp(stream.createdAtMilliseconds))",
            "retention  \(formatDuration(stream.retention))"
                + (stream.retentionBytes.map { " or \($0) bytes per shard" } ?? ""),
            "shards     \(stream.shards.count) (\(stream.openShards.count) open)",
            "encryption \(stream.encryption.type.rawValue)" + (stream.encryption.keyID.map { " (key \($0))" } ?? ""),
            "",
        ]
        let rows = stream.shards.map { shard in
            [
                shard.id.description, shard.isOpen ? "OPEN" : "CLOSED",
                shard.parents.isEmpty ? "-" : shard.parents.map(\.description).joined(separator: ","),
                "\(shard.storedSequences.lowerBound)..<\(shard.storedSequences.upperBound)",
                String(shard.storedSequences.count), String(shard.bytesOnDisk),
                "\(shard.hashKeyRange.start)..\(shard.hashKeyRange.end)",
            ]
        }
        lines.append(
            contentsOf: TextTable.render(
                header: ["SHARD", "STATE", "PARENTS", "SEQUENCES", "RECORDS", "BYTES", "HASH KEY RANGE"],
                rows: rows
            )
        )
        return lines.joined(separator: "\n") + "\n"
    }

    struct JSONStream: Encodable {
        struct HashKeyRange: Encodable {
            var StartingHashKey: String
            var EndingHashKey: String
        }
        struct SequenceNumberRange: Encodable {
            var StartingSequenceNumber: String
            var EndingSequenceNumber: String?
        }
        struct Shard: Encodable {
            var ShardId: String
            var ParentShardId: String?
            var AdjacentParentShardId: String?
            var HashKeyRange: HashKeyRange
            var SequenceNumberRange: SequenceNumberRange
            var State: String
            var ChildShardIds: [String]
            var StoredRecords: UInt64
            var FirstStoredSequence: UInt64
            var NextSequence: UInt64
            var BytesOnDisk: Int
            var Segments: Int
        }
        var StreamName: String
        var StreamStatus = "ACTIVE"
        var StreamCreationTimestamp: String
        var RetentionPeriodHours: Double
        var RetentionBytesPerShard: Int?
        var EncryptionType: String
        var KeyId: String?
        var Shards: [Shard]
    }

    static func json(_ stream: StreamDescription) throws -> String {
        let value = JSONStream(
            StreamName: stream.name.rawValue,
            StreamCreationTimestamp: formatTimestamp(stream.createdAtMilliseconds),
            RetentionPeriodHours: Double(stream.retention.components.seconds) / 3600,
            RetentionBytesPerShard: stream.retentionBytes,
            EncryptionType: stream.encryption.type.rawValue,
            KeyId: stream.encryption.keyID,
            Shards: stream.shards.map { shard in
                JSONStream.Shard(
                    ShardId: shard.id.description,
                    ParentShardId: shard.parents.first?.description,
                    AdjacentParentShardId: shard.parents.count > 1 ? shard.parents[1].description : nil,
                    HashKeyRange: .init(
                        StartingHashKey: String(shard.hashKeyRange.start),
                        EndingHashKey: String(shard.hashKeyRange.end)
                    ),
                    SequenceNumberRange: .init(
                        StartingSequenceNumber: shard.startingSequenceNumber.description,
                        EndingSequenceNumber: shard.endingSequenceNumber?.description
                    ),
                    State: shard.isOpen ? "OPEN" : "CLOSED",
                    ChildShardIds: shard.children.map(\.description),
                    StoredRecords: UInt64(shard.storedSequences.count),
                    FirstStoredSequence: shard.storedSequences.lowerBound,
                    NextSequence: shard.storedSequences.upperBound,
                    BytesOnDisk: shard.bytesOnDisk,
                    Segments: shard.segmentCount
                )
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        // The pretty printer writes an empty array over three lines; print it as [].
        return text.replacing(/\[\s*\n\s*\]/, with: "[]") + "\n"
    }
}

struct DeleteStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-stream",
        abstract: "Delete a stream and its data."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            try await store.withRemote(endpoint) { try await $0.deleteStream(.name(name.rawValue)) }
            StandardStreams.writeOutput("deleted stream \(name)\n")
            return
        }
        try await store.withStore { try await $0.deleteStream(name) }
        StandardStreams.writeOutput("deleted stream \(name)\n")
    }
}

struct SplitShard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split-shard",
        abstract: "Split an open shard in two at a hash key (default: the middle of its range)."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(help: "The shard to split.") var shard: String
    @Option(name: .customLong("hash-key"), help: "New starting hash key of the second child (decimal).") var hashKey:
        String?

    func run() async throws {
        let name = try streamName(name)
        let shard = try shardID(shard)
        if let endpoint = store.remoteEndpoint {
            let hashKey = hashKey
            try await store.withRemote(endpoint) {
                try await RemoteAdministration.split($0, name.rawValue, shard: shard.description, hashKey: hashKey)
            }
            StandardStreams.writeOutput("split \(shard)\n")
            return
        }
        let children = try await store.withStore { store in
            let description = try store.describeStream(name)
            guard let parent = description.shards.first(where: { $0.id == shard }) else {
                throw CommandFailure("stream '\(name)' has no shard \(shard)")
            }
            let key: HashKey
            if let hashKey {
                guard let parsed = HashKey(hashKey) else {
                    throw CommandFailure("--hash-key must be a decimal number below 2^128")
                }
                key = parsed
            } else {
                let range = parent.hashKeyRange
                key = range.start + (range.end - range.start) / 2 + 1
            }
            return try await store.splitShard(name, shard: shard, newStartingHashKey: key)
        }
        StandardStreams.writeOutput("split \(shard) into \(children.map(\.description).joined(separator: " and "))\n")
    }
}

struct MergeShards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-shards",
        abstract: "Merge two open shards with adjacent hash ranges."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(help: "One shard to merge.") var shard: String
    @Option(name: .customLong("adjacent-shard"), help: "The shard whose range adjoins it.") var adjacentShard: String

    func run() async throws {
        let name = try streamName(name)
        let first = try shardID(shard)
        let second = try shardID(adjacentShard)
        if let endpoint = store.remoteEndpoint {
            try await store.withRemote(endpoint) { client in
                try await client.mergeShards(
                    .name(name.rawValue),
                    shardID: first.description,
                    adjacentShardID: second.description
                )
                _ = try await client.waitUntilActive(.name(name.rawValue))
            }
            StandardStreams.writeOutput("merged \(first) and \(second)\n")
            return
        }
        let child = try await store.withStore { try await $0.mergeShards(name, shard: first, adjacentShard: second) }
        StandardStreams.writeOutput("merged \(first) and \(second) into \(child)\n")
    }
}

struct UpdateShardCount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-shard-count",
        abstract: "Split or merge shards until the stream has the target number of open shards, evenly."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(name: .customLong("target"), help: "Open shards wanted (1-1024).") var target: Int

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            let target = target
            let open = try await store.withRemote(endpoint) { client in
                _ = try await client.updateShardCount(.name(name.rawValue), targetShardCount: target)
                return try await client.waitUntilActive(.name(name.rawValue)).openShardCount
            }
            StandardStreams.writeOutput("\(name) now has \(open) open shard\(open == 1 ? "" : "s")\n")
            return
        }
        let open = try await store.withEngine { engine -> Int in
            try await engine.updateShardCount(name, target: target)
            return try engine.describeStream(name).openShards.count
        }
        StandardStreams.writeOutput("\(name) now has \(open) open shard\(open == 1 ? "" : "s")\n")
    }
}
