import StreamQAWS
import StreamQClient
import StreamQRemote
import StreamQSQL
import StreamQStorage
import Testing

/// The client, and the SQL engine over ``KinesisBackend``, against an independent implementation,
/// moto's server (`pip install 'moto[server]'`).
///
/// moto deviations (reference §12) the client tolerates here:
/// - ListStreams answers `HasMoreStreams` without a `NextToken`: listStreams falls back to
///   `ExclusiveStartStreamName`.
/// - ListShards refuses `MaxResults` beside `NextToken`: listShards sends `MaxResults` only when a
///   page size is asked for.
/// - Sequence numbers are per-shard counters `1, 2, 3…` rather than 186-bit numbers: they are kept
///   as opaque decimal strings and never parsed.
/// - PutRecords caps requests at 5 MB rather than 10 MiB (`putRecordsMaximumBytes` is configurable;
///   the records here are small).
/// - Reading a closed shard never ends (`NextShardIterator` is never null, no `ChildShards`): the
///   raw client tests do not reshard; ``KinesisBackend`` ends a shard that ListShards shows closed
///   once it has caught up with it (only for moto's small sequence numbers), and takes its children
///   from ListShards.
/// - After a split, moto keeps routing writes to the closed parent and leaves its children empty;
///   per-key order holds all the same, which is what the backend test checks. SplitShard even
///   re-puts the parent's records into the parent (new sequence numbers, arrival times of the
///   split), and a closed shard's EndingSequenceNumber is its current last record: a bounded query
///   reads it whole and gives every window; `--from`/`--until` see the re-put records as arriving
///   at the split. A followed query finishes a closed shard once caught up and would miss what moto
///   writes into it later, so the follow test does not reshard.
/// - StartingSequenceNumber is `0` for an empty shard and the first record's number otherwise:
///   the backend maps moto's counters onto positions as themselves, and TRIM_HORIZON reads from
///   any position at or before the start.
@Suite(
    .timeLimit(.minutes(3)),
    .enabled(if: SpawnedServer.motoIsAvailable, "moto is not installed: pip install 'moto[server]' to run these")
)
struct MotoTests {
    @Test func createsPutsListsShardsAndReadsRecords() async throws {
        let server = try await SpawnedServer.moto()
        defer { server.stop() }
        try await withClient(try server.configuration()) { client in
            #expect(await client.requestEncoding() == .json)  // moto reads no CBOR: the probe says so
            try await client.createStream(name: "moto-stream", shardCount: 2)
            let summary = try await client.waitUntilActive(.name("moto-stream"))
            #expect(summary.openShardCount == 2)
            #expect(try await client.listStreams().contains("moto-stream"))
            let shards = try await client.listShards(.name("moto-stream"))
            #expect(shards.count == 2)
            let records = (0..<300).map {
                PutRecordsEntry(data: Array("moto-\($0)".utf8), partitionKey: "key-\($0 % 11)")
            }
            let stored = try await client.putRecordsReliably(stream: .name("moto-stream"), records: records)
            #expect(stored.count == records.count)
            let read = try await readAll(client, .name("moto-stream")).records
            #expect(
                read.map(\.data).sorted { $0.lexicographicallyPrecedes($1) }
                    == records.map(\.data).sorted { $0.lexicographicallyPrecedes($1) }
            )
            // Per key, moto returns records in put order too.
            var perKey: [String: [String]] = [:]
            for record in read {
                perKey[record.partitionKey, default: []].append(String(decoding: record.data, as: UTF8.self))
            }
            for (key, values) in perKey {
                let expected = records.filter { $0.partitionKey == key }.map {
                    String(decoding: $0.data, as: UTF8.self)
                }
                #expect(values == expected)
            }
            let error = try await #require(throws: KinesisClientError.self) {
                try await client.describeStreamSummary(.name("absent"))
            }
            #expect(error.code == "ResourceNotFoundException")
        }
    }

    @Test func backendPutsAndReadsThroughASplit() async throws {
        let server = try await SpawnedServer.moto()
        defer { server.stop() }
        let stream = StreamName(rawValue: "moto-events")!
        try await withBackend(server) { backend in
            try await createStream(stream, shards: 2, on: backend)
            let producer = StreamQProducer(backend: backend)
            try await sendKeyed(producer, to: stream, keys: 20, range: 0..<10)
            try await producer.flush()
            let parent = try #require(try await backend.describeStream(stream).shards.first)
            let range = parent.hashKeyRange
            try await backend.client.splitShard(
                .name(stream.rawValue),
                shardID: parent.id.description,
                newStartingHashKey: String(range.start + (range.end - range.start) / 2)
            )
            _ = try await backend.client.waitUntilActive(.name(stream.rawValue))
            try await sendKeyed(producer, to: stream, keys: 20, range: 10..<20)
            try await producer.close()
            let description = try await backend.describeStream(stream)
            #expect(description.shards.count == 4)
            #expect(description.shards.first { $0.id == parent.id }?.isOpen == false)
            #expect(description.shards.first { $0.id == parent.id }?.children.count == 2)
            expectPerKeyOrder(try await readAllRecords(backend, stream), keys: 20, perKey: 20)
        }
    }

    @Test func boundedQueryThroughASplitGivesEveryWindowWithinFromAndUntil() async throws {
        let server = try await SpawnedServer.moto()
        defer { server.stop() }
        let stream = StreamName(rawValue: "moto-query")!
        try await withBackend(server) { backend in
            try await createStream(stream, shards: 2, on: backend)
            let producer = StreamQProducer(backend: backend)
            try await QueryEvents.send(producer, to: stream, keys: 10, range: 0..<20)
            try await producer.flush()
            _ = try await split(ShardID(0), of: stream, on: backend)
            let splitAt = try await boundary()
            try await QueryEvents.send(producer, to: stream, keys: 10, range: 20..<40)
            try await producer.close()
            let query = QueryEvents.boundedQuery(stream)
            #expect(
                try await boundedRows(query, over: backend, stream: stream)
                    == QueryEvents.boundedRows(keys: 10, range: 0..<40)
            )
            #expect(
                try await boundedRows(query, over: backend, stream: stream, from: splitAt)
                    == QueryEvents.boundedRows(keys: 10, range: 20..<40)
            )
            #expect(
                try await boundedRows(query, over: backend, stream: stream, until: splitAt)
                    == QueryEvents.boundedRows(keys: 10, range: 0..<20)
            )
        }
    }

    @Test func followedQueryResumesFromItsCheckpointWithEveryWindowOnce() async throws {
        let server = try await SpawnedServer.moto()
        defer { server.stop() }
        let stream = StreamName(rawValue: "moto-follow")!
        try await withBackend(server) { backend in
            try await withCheckpoint { checkpoint in
                try await createStream(stream, shards: 2, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await QueryEvents.send(producer, to: stream, keys: 20, range: 0..<30)
                try await producer.flush()
                let first = FollowRun(try followRunner(backend, stream: stream), checkpoint: checkpoint)
                #expect(try await first.waitForRows(2) == QueryEvents.followRows(keys: 20, seconds: 0..<2))
                try await first.stop()
                try await QueryEvents.send(producer, to: stream, keys: 20, range: 30..<60)
                try await producer.close()
                let second = FollowRun(try followRunner(backend, stream: stream), checkpoint: checkpoint)
                #expect(try await second.waitForRows(3) == QueryEvents.followRows(keys: 20, seconds: 2..<5))
                try await Task.sleep(for: .milliseconds(300))  // a window emitted twice would show now
                try await second.stop()
                #expect(second.emitted == QueryEvents.followRows(keys: 20, seconds: 2..<5))
            }
        }
    }
}
