import StreamQAWS
import StreamQRemote
import StreamQStorage
import Testing

/// streamq's PutRecords extension (``ProducerStampHeaders``): a stamped PutRecords is one
/// idempotent append on `streamq serve`, and ignored by other servers.
@Suite(.timeLimit(.minutes(3))) struct ProducerStampExtensionTests {
    private static func entries(_ texts: [String], key: String = "file-1") -> [PutRecordsEntry] {
        texts.map { PutRecordsEntry(data: Array($0.utf8), partitionKey: key) }
    }

    private static func append(_ producer: UInt64, _ sequence: UInt64, shard: Int = 0) -> IdempotentAppend {
        IdempotentAppend(
            producer: ProducerStamp(producerID: producer, sequence: sequence),
            shardID: ShardID(UInt32(shard)).description
        )
    }

    private static func sequenceNumbers(_ result: PutRecordsResult) -> [String] {
        result.entries.compactMap { entry in
            if case .stored(let location) = entry { return location.sequenceNumber }
            return nil
        }
    }

    /// On a server that verifies signatures, so the signed stamp headers are checked too.
    @Test func aResentStampIsAnsweredWithTheOriginalSequenceNumbersAndStoredOnce() async throws {
        let files = ["credentials": "AKIDTEST test-secret\n"]
        try await withStreamqServer(["--credentials", "{scratch}/credentials"], files: files) { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "lines", shardCount: 1)
                let stream = KinesisStreamReference.name("lines")
                let lines = Self.entries(["a", "b", "c"])
                let first = try await client.putRecords(stream, records: lines, idempotent: Self.append(77, 0))
                let again = try await client.putRecords(stream, records: lines, idempotent: Self.append(77, 0))
                #expect(first.failedRecordCount == 0)
                #expect(Self.sequenceNumbers(first).count == 3)
                #expect(Self.sequenceNumbers(again) == Self.sequenceNumbers(first))
                let next = try await client.putRecords(
                    stream,
                    records: Self.entries(["d"]),
                    idempotent: Self.append(77, 1)
                )
                #expect(Self.sequenceNumbers(next).count == 1)
                // Without the headers nothing is deduplicated: a plain PutRecords is stored as ever.
                let plain = try await client.putRecords(stream, records: lines)
                #expect(Set(Self.sequenceNumbers(plain)).isDisjoint(with: Self.sequenceNumbers(first)))
                let stored = try await readAll(client, stream).records.map { String(decoding: $0.data, as: UTF8.self) }
                #expect(stored == ["a", "b", "c", "d", "a", "b", "c"])
            }
        }
    }

    @Test func stampsOutsideTheWindowClosedShardsAndRecordsOfOtherShardsAreRefused() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "lines", shardCount: 1)
                let stream = KinesisStreamReference.name("lines")
                func refusal(
                    _ texts: [String],
                    keys: [String]? = nil,
                    _ idempotent: IdempotentAppend
                ) async throws -> KinesisClientError {
                    let records = zip(texts, keys ?? texts.map { _ in "file-1" }).map {
                        PutRecordsEntry(data: Array($0.0.utf8), partitionKey: $0.1)
                    }
                    return try await #require(throws: KinesisClientError.self) {
                        try await client.putRecords(stream, records: records, idempotent: idempotent)
                    }
                }
                _ = try await client.putRecords(stream, records: Self.entries(["a"]), idempotent: Self.append(5, 0))
                let skipping = try await refusal(["c"], Self.append(5, 2))
                #expect(skipping.code == "OutOfOrderSequenceException")
                #expect(skipping.attempts == 1)
                #expect(try await refusal(["x", "y"], Self.append(5, 0)).code == "DuplicateSequenceException")
                #expect(try await refusal(["a"], Self.append(5, 1, shard: 7)).code == "ResourceNotFoundException")
                try await client.splitShard(
                    stream,
                    shardID: "shardId-000000000000",
                    newStartingHashKey: String(UInt128(1) << 127)
                )
                #expect(try await refusal(["b"], Self.append(5, 1)).code == "ShardClosedException")
                // Keys that land on both children (MD5 routing), sent as an append to one of them.
                let keys = (0..<20).map { "key-\($0)" }
                let spanning = try await refusal(keys, keys: keys, Self.append(6, 0, shard: 1))
                #expect(spanning.code == "InvalidArgumentException")
                #expect(spanning.serviceError?.message.contains("routes to another shard") == true)
                #expect(try await readAll(client, stream).records.count == 1)
            }
        }
    }

    @Test func theBackendsStampedAppendsAreExactlyOnceAndRefusalsKeepTheStoresCodes() async throws {
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                let stream = StreamName(rawValue: "lines")!
                try await createStream(stream, shards: 1, on: backend)
                let records = (0..<3).map { AppendRecord(partitionKey: "file", data: Array("line \($0)".utf8)) }
                let shard = ShardID(0)
                let stamp = ProducerStamp(producerID: 9, sequence: 0)
                let first = try await append(records, to: stream, shard: shard, producer: stamp, on: backend)
                let again = try await append(records, to: stream, shard: shard, producer: stamp, on: backend)
                #expect(again == first)
                let error = await #expect(throws: StreamQStorageError.self) {
                    try await append(
                        records,
                        to: stream,
                        shard: shard,
                        producer: ProducerStamp(producerID: 9, sequence: 3),
                        on: backend
                    )
                }
                #expect(error?.code == .outOfOrderSequence)
                #expect(try await readAllRecords(backend, stream).count == 3)
                try await backend.client.splitShard(
                    .name("lines"),
                    shardID: "shardId-000000000000",
                    newStartingHashKey: String(UInt128(1) << 127)
                )
                let closed = await #expect(throws: StreamQStorageError.self) {
                    try await append(
                        records,
                        to: stream,
                        shard: shard,
                        producer: ProducerStamp(producerID: 9, sequence: 1),
                        on: backend
                    )
                }
                #expect(closed?.code == .shardClosed)
            }
        }
    }

    @Test(.enabled(if: SpawnedServer.motoIsAvailable, "moto is not installed"))
    func otherServersIgnoreTheStampSoAResendIsStoredAgain() async throws {
        let server = try await SpawnedServer.moto()
        defer { server.stop() }
        try await withBackend(server) { backend in
            let stream = StreamName(rawValue: "lines")!
            try await createStream(stream, shards: 1, on: backend)
            let records = [AppendRecord(partitionKey: "file", data: Array("line".utf8))]
            let stamp = ProducerStamp(producerID: 9, sequence: 0)
            _ = try await append(records, to: stream, shard: ShardID(0), producer: stamp, on: backend)
            _ = try await append(records, to: stream, shard: ShardID(0), producer: stamp, on: backend)
            #expect(try await readAllRecords(backend, stream).count == 2)  // at-least-once
        }
    }

    private func append(
        _ records: [AppendRecord],
        to stream: StreamName,
        shard: ShardID,
        producer: ProducerStamp,
        on backend: KinesisBackend
    ) async throws -> SequenceNumber {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try backend.enqueueAppend(to: stream, shard: shard, records, producer: producer) {
                    continuation.resume(with: $0)
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
