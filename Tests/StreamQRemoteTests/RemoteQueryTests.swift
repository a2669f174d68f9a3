import Foundation
import StreamQClient
import StreamQRemote
import StreamQSQL
import StreamQStorage
import Testing

/// The SQL engine over ``KinesisBackend`` against a spawned `streamq serve`, with the same
/// expectations as embedded: a bounded query gives exactly the rows the embedded engine gives over
/// the server's own data directory, and a followed query emits each window once, across resharding
/// and across runs resumed from its checkpoint.
@Suite(.timeLimit(.minutes(2))) struct RemoteQueryTests {
    let events = StreamName(rawValue: "events")!

    @Test func aBoundedQueryGivesTheEmbeddedRowsThroughASplitAndAMergeWithinFromAndUntil() async throws {
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 2, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await QueryEvents.send(producer, to: events, keys: 10, range: 0..<20)
                try await producer.flush()
                let children = try await split(ShardID(0), of: events, on: backend)
                let splitAt = try await boundary()
                try await QueryEvents.send(producer, to: events, keys: 10, range: 20..<40)
                try await producer.flush()
                _ = try await merge(children, of: events, on: backend)
                let mergedAt = try await boundary()
                try await QueryEvents.send(producer, to: events, keys: 10, range: 40..<60)
                try await producer.close()
                let description = try await backend.describeStream(events)
                #expect(description.shards.count == 5)
                #expect(description.openShards.count == 2)

                let query = QueryEvents.boundedQuery(events)
                let remote = try await boundedRows(query, over: backend, stream: events)
                #expect(remote == QueryEvents.boundedRows(keys: 10, range: 0..<60))
                let between = try await boundedRows(
                    query,
                    over: backend,
                    stream: events,
                    from: splitAt,
                    until: mergedAt
                )
                #expect(between == QueryEvents.boundedRows(keys: 10, range: 20..<40))
                let after = try await boundedRows(query, over: backend, stream: events, from: mergedAt)
                #expect(after == QueryEvents.boundedRows(keys: 10, range: 40..<60))
                let before = try await boundedRows(query, over: backend, stream: events, until: splitAt)
                #expect(before == QueryEvents.boundedRows(keys: 10, range: 0..<20))

                let (local, localBetween) = try await withLocalStore(of: server) { store in
                    (
                        try await boundedRows(query, over: store, stream: events),
                        try await boundedRows(query, over: store, stream: events, from: splitAt, until: mergedAt)
                    )
                }
                #expect(local == remote)
                #expect(localBetween == between)
            }
        }
    }

    @Test func aFollowedQueryResumesFromItsCheckpointAndCarriesOnThroughASplitAndAMerge() async throws {
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await withCheckpoint { checkpoint in
                    try await createStream(events, shards: 2, on: backend)
                    let producer = StreamQProducer(backend: backend)
                    try await QueryEvents.send(producer, to: events, keys: 20, range: 0..<30)
                    try await producer.flush()
                    let first = FollowRun(try followRunner(backend, stream: events), checkpoint: checkpoint)
                    // Seconds 0 and 1 close once every shard has delivered second 2.
                    #expect(try await first.waitForRows(2) == QueryEvents.followRows(keys: 20, seconds: 0..<2))
                    try await first.stop()

                    // While it is stopped: a split, and records into the children.
                    let children = try await split(ShardID(0), of: events, on: backend)
                    try await QueryEvents.send(producer, to: events, keys: 20, range: 30..<60)
                    try await producer.flush()
                    let second = FollowRun(try followRunner(backend, stream: events), checkpoint: checkpoint)
                    #expect(try await second.waitForRows(3) == QueryEvents.followRows(keys: 20, seconds: 2..<5))

                    // While it runs: a merge, and records into the merged shard.
                    _ = try await merge(children, of: events, on: backend)
                    try await QueryEvents.send(producer, to: events, keys: 20, range: 60..<80)
                    try await producer.close()
                    #expect(try await second.waitForRows(5) == QueryEvents.followRows(keys: 20, seconds: 2..<7))
                    try await Task.sleep(for: .milliseconds(300))  // a window emitted twice would show now
                    try await second.stop()
                    #expect(second.emitted == QueryEvents.followRows(keys: 20, seconds: 2..<7))
                }
            }
        }
    }
}

/// Splits `shard` in the middle of its hash key range and waits until the stream is ACTIVE.
/// - Returns: the two children.
func split(_ shard: ShardID, of stream: StreamName, on backend: KinesisBackend) async throws -> [ShardID] {
    let parent = try #require(try await backend.describeStream(stream).shards.first { $0.id == shard })
    let range = parent.hashKeyRange
    try await backend.client.splitShard(
        .name(stream.rawValue),
        shardID: shard.description,
        newStartingHashKey: String(range.start + (range.end - range.start) / 2)
    )
    _ = try await backend.client.waitUntilActive(.name(stream.rawValue))
    let children = try #require(try await backend.describeStream(stream).shards.first { $0.id == shard }?.children)
    try #require(children.count == 2)
    return children
}

/// Merges two adjacent shards and waits until the stream is ACTIVE.
/// - Returns: the merged shard.
func merge(_ shards: [ShardID], of stream: StreamName, on backend: KinesisBackend) async throws -> ShardID {
    try #require(shards.count == 2)
    try await backend.client.mergeShards(
        .name(stream.rawValue),
        shardID: shards[0].description,
        adjacentShardID: shards[1].description
    )
    _ = try await backend.client.waitUntilActive(.name(stream.rawValue))
    let children = try #require(try await backend.describeStream(stream).shards.first { $0.id == shards[0] }?.children)
    return try #require(children.first)
}

/// A wall-clock time (ms) after every record sent so far arrived and before any sent later does.
func boundary() async throws -> Int64 {
    try await Task.sleep(for: .milliseconds(5))
    let now = FollowQueryRunner.wallClock()
    try await Task.sleep(for: .milliseconds(5))
    return now
}
