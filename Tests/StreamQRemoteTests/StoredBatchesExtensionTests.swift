import StreamQAWS
import StreamQStorage
import Testing

@testable import StreamQRemote

/// streamq's stored-batch extensions (``StoredBatchesExtension``): `streamq serve` answers a CBOR
/// GetRecords that asks for them with the stored batches, which decode to exactly the records of
/// the usual answer (without the header, in JSON, or for encrypted records the answer is as ever),
/// and stores a checked batch a client compressed, once per producer stamp.
@Suite(.timeLimit(.minutes(3))) struct StoredBatchesExtensionTests {
    static let accept = [(name: StoredBatchesExtension.acceptHeader, value: "1")]

    /// Two PutRecords of 40 records each into a one-shard stream named `name`.
    static func putEighty(_ client: KinesisClient, _ name: String) async throws {
        for request in 0..<2 {
            let entries = (0..<40).map {
                PutRecordsEntry(data: Array("r\(request * 40 + $0)".utf8), partitionKey: "k\($0)")
            }
            #expect(try await client.putRecords(.name(name), records: entries).failedRecordCount == 0)
        }
    }

    static func answer(
        _ client: KinesisClient,
        _ iterator: String,
        limit: Int,
        headers: [(name: String, value: String)]
    ) async throws -> (payload: [UInt8], encoding: AWSBodyEncoding) {
        try await client.getRecords(iterator: iterator, limit: limit, streamARN: nil, headers: headers) {
            payload,
            encoding throws(KinesisClientError.Reason) in (payload, encoding)
        }
    }

    static func trimHorizon(_ client: KinesisClient, _ name: String) async throws -> String {
        try await client.getShardIterator(.name(name), shardID: "shardId-000000000000", position: .trimHorizon)
    }

    @Test func theBatchesHoldExactlyTheRecordsOfTheUsualAnswer() async throws {
        try await withStreamqServer { server in
            var configuration = try server.configuration()
            configuration.bodyEncoding = .cbor
            try await withClient(configuration) { client in
                try await client.createStream(name: "lines", shardCount: 1)
                try await Self.putEighty(client, "lines")
                var iterator = try await Self.trimHorizon(client, "lines")
                var plainIterator = iterator
                var texts: [String] = []
                // 25 records from the start (inside the first batch), then 50 across both, then the rest.
                for limit in [25, 50, 100] {
                    let batches = try await Self.answer(client, iterator, limit: limit, headers: Self.accept)
                    #expect(batches.encoding == .cbor)
                    #expect(batches.payload.dropFirst().starts(with: StoredBatchesExtension.keyPrefix))
                    let read = try #require(try KinesisBackend.storedBatchRecords(batches.payload, shard: ShardID(0)))
                    let lent = try #require(read.lent)
                    let plain = try await Self.answer(client, plainIterator, limit: limit, headers: [])
                    #expect(!plain.payload.dropFirst().starts(with: StoredBatchesExtension.keyPrefix))
                    let usual = try GetRecordsOutput.decode(plain.payload, plain.encoding)
                    let stored = lent.stored(shard: ShardID(0))
                    #expect(
                        stored.map { String(decoding: $0.data, as: UTF8.self) }
                            == usual.records.map { String(decoding: $0.data, as: UTF8.self) }
                    )
                    #expect(stored.map(\.partitionKey) == usual.records.map(\.partitionKey))
                    #expect(
                        stored.map(\.sequenceNumber.sequence)
                            == usual.records.map { try! ShardSequenceMapping.position(of: $0.sequenceNumber) }
                    )
                    texts += stored.map { String(decoding: $0.data, as: UTF8.self) }
                    iterator = try #require(read.output.nextShardIterator)
                    plainIterator = try #require(usual.nextShardIterator)
                }
                #expect(texts == (0..<80).map { "r\($0)" })
            }
        }
    }

    @Test func jsonRequestsAndEncryptedRecordsGetTheUsualAnswer() async throws {
        try await withStreamqServer { server in
            var configuration = try server.configuration()
            configuration.bodyEncoding = .json
            try await withClient(configuration) { client in
                try await client.createStream(name: "json", shardCount: 1)
                try await Self.putEighty(client, "json")
                let json = try await Self.answer(
                    client,
                    try await Self.trimHorizon(client, "json"),
                    limit: 10,
                    headers: Self.accept
                )
                #expect(json.encoding == .json)
                #expect(try GetRecordsOutput.decode(json.payload, json.encoding).records.count == 10)
            }
            configuration.bodyEncoding = .cbor
            try await withClient(configuration) { client in
                try await client.createStream(name: "sealed", shardCount: 1)
                _ = try await client.call(
                    "StartStreamEncryption",
                    .map([
                        "StreamName": .string("sealed"), "EncryptionType": .string("KMS"),
                        "KeyId": .string("alias/aws/kinesis"),
                    ])
                )
                try await Self.putEighty(client, "sealed")
                let sealed = try await Self.answer(
                    client,
                    try await Self.trimHorizon(client, "sealed"),
                    limit: 10,
                    headers: Self.accept
                )
                #expect(!sealed.payload.dropFirst().starts(with: StoredBatchesExtension.keyPrefix))
                let usual = try GetRecordsOutput.decode(sealed.payload, sealed.encoding)
                #expect(usual.records.map { String(decoding: $0.data, as: UTF8.self) } == (0..<10).map { "r\($0)" })
                #expect(usual.records.allSatisfy { $0.encryptionType == "KMS" })
            }
        }
    }

    static func batch(_ keys: [String], from first: Int = 0) throws -> CompressedBatch {
        var records = EncodedRecords()
        for (offset, key) in keys.enumerated() {
            Array("b\(first + offset)".utf8).withUnsafeBytes { records.append(partitionKey: key, data: $0) }
        }
        return try CompressedBatch(compressing: records, level: 1)
    }

    @Test func aStoredBatchIsCheckedAndStoredOnceWhateverTheRetries() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "batches", shardCount: 2)
                #expect(client.offersStoredBatches)
                let shards = try await client.listShards(.name("batches"))
                let range =
                    try #require(HashKey(shards[0].startingHashKey))...(try #require(HashKey(shards[0].endingHashKey)))
                let keys = (0..<400).map { "key-\($0)" }
                let own = keys.filter { range.contains(HashKey.forPartitionKey($0)) }
                let other = keys.filter { !range.contains(HashKey.forPartitionKey($0)) }
                let stamp = IdempotentAppend(
                    producer: ProducerStamp(producerID: 42, sequence: 0),
                    shardID: shards[0].shardID
                )
                let batch = try Self.batch(own)
                let first = try await client.putStoredBatch(
                    .name("batches"),
                    shardID: shards[0].shardID,
                    batch: batch,
                    idempotent: stamp
                )
                let again = try await client.putStoredBatch(
                    .name("batches"),
                    shardID: shards[0].shardID,
                    batch: batch,
                    idempotent: stamp
                )
                #expect(first == again)
                #expect(first.recordCount == own.count)
                let stored = try await readAll(client, .name("batches")).records
                #expect(stored.map { String(decoding: $0.data, as: UTF8.self) } == own.indices.map { "b\($0)" })
                #expect(stored.first?.sequenceNumber == first.firstSequenceNumber)

                let stray = await #expect(throws: KinesisClientError.self) {
                    try await client.putStoredBatch(
                        .name("batches"),
                        shardID: shards[0].shardID,
                        batch: try Self.batch(other)
                    )
                }
                #expect(stray?.code == "InvalidArgumentException")
                #expect(stray?.description.contains("hashes outside") == true)

                try await client.splitShard(
                    .name("batches"),
                    shardID: shards[0].shardID,
                    newStartingHashKey: String(range.lowerBound + (range.upperBound - range.lowerBound) / 2)
                )
                let closed = await #expect(throws: KinesisClientError.self) {
                    try await client.putStoredBatch(.name("batches"), shardID: shards[0].shardID, batch: batch)
                }
                #expect(closed?.code == "ShardClosedException")
            }
        }
    }

    /// An answer in the stored-batch form whose batches are missing, damaged or do not hold what it
    /// claims is refused as an invalid response, never trusted (a huge count allocates nothing).
    @Test func aHostileStoredBatchAnswerIsRefused() throws {
        let run = try Self.batch(["a", "b", "c"])
        func answer(first: Int64, end: Int64, batches: [UInt8]) -> [UInt8] {
            var body: [UInt8] = [0xA2] + StoredBatchesExtension.keyPrefix
            AWSCBOR.encode(
                .map(["FirstSequence": .integer(first), "EndSequence": .integer(end), "Batches": .blob(batches)]),
                into: &body
            )
            AWSCBOR.encode(.string("Records"), into: &body)
            AWSCBOR.encode(.list([]), into: &body)
            return body
        }
        for (name, payload) in [
            ("a huge count", answer(first: 0, end: 1 << 62, batches: run.bytes)),
            ("a payload that is no batch", answer(first: 0, end: 3, batches: run.bytes)),
            ("no batches", answer(first: 0, end: 1, batches: [])),
            ("an end before the start", answer(first: 5, end: 2, batches: [])),
        ] {
            #expect(throws: KinesisClientError.Reason.self, "\(name)") {
                _ = try KinesisBackend.storedBatchRecords(payload, shard: ShardID(0))
            }
        }
    }
}
