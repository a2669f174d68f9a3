import Testing

@testable import StreamQStorage

@Suite struct ReshardTests {
    @Test func splitClosesTheParentAndChildrenContinueItsSequences() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            let before = try await store.append(to: logs, records(100))
            let middle = HashKey(1) << 127
            let children = try await store.splitShard(logs, shard: ShardID(0), newStartingHashKey: middle)
            #expect(children == [ShardID(1), ShardID(2)])

            let description = try store.describeStream(logs)
            let parent = description.shards[0]
            #expect(!parent.isOpen)
            #expect(parent.children == children)
            #expect(parent.endingSequenceNumber == before.last?.sequenceNumber)
            #expect(description.shards[1].hashKeyRange == HashKeyRange(start: 0, end: middle - 1))
            #expect(description.shards[2].hashKeyRange == HashKeyRange(start: middle, end: .max))
            #expect(description.shards[1].parents == [ShardID(0)])
            #expect(description.shards[1].startingSequenceNumber.sequence == 100)

            let after = try await store.append(to: logs, records(100))
            for (record, result) in zip(records(100), after) {
                #expect(result.shard == (record.hashKey < middle ? ShardID(1) : ShardID(2)))
                #expect(result.sequenceNumber.sequence >= 100)
            }

            // Reading the parent ends with its children named.
            var cursor = try store.cursor(stream: logs, shard: ShardID(0), at: .trimHorizon)
            let parentRead = try store.read(cursor, maxRecords: 1000)
            #expect(parentRead.records.count == 100)
            #expect(parentRead.next == nil)
            #expect(parentRead.childShards == children)

            // Writing to the closed parent directly is impossible; appends were routed to children.
            cursor = try store.cursor(stream: logs, shard: ShardID(1), at: .trimHorizon)
            #expect(try store.read(cursor).next != nil, "an open shard always has a next position")
            try await store.close()
        }
    }

    @Test func mergeJoinsAdjacentShardsAndKeyOrderHoldsAlongTheLineage() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 2)
            let keys = (0..<20).map { "user-\($0)" }
            func write(_ round: Int) async throws {
                _ = try await store.append(
                    to: logs,
                    keys.map { AppendRecord(partitionKey: $0, data: "\($0)#\(round)") }
                )
            }
            try await write(0)
            let firstChildren = try await store.splitShard(
                logs,
                shard: ShardID(0),
                newStartingHashKey: HashKey(1) << 126
            )
            try await write(1)
            try await write(2)
            let merged = try await store.mergeShards(logs, shard: firstChildren[1], adjacentShard: ShardID(1))
            try await write(3)
            let description = try store.describeStream(logs)
            #expect(description.openShards.map(\.id) == [firstChildren[0], merged])
            let mergedShard = description.shards.first { $0.id == merged }!
            #expect(Set(mergedShard.parents) == [firstChildren[1], ShardID(1)])

            // Reading parents before children (ascending shard ids) gives every key's records in
            // write order, with sequence numbers increasing along the lineage.
            let all = try readAll(store, logs)
            for key in keys {
                let mine = all.filter { $0.partitionKey == key }
                #expect(mine.map(\.text) == (0..<4).map { "\(key)#\($0)" })
                #expect(mine.map(\.sequenceNumber.sequence) == mine.map(\.sequenceNumber.sequence).sorted())
                #expect(Set(mine.map(\.sequenceNumber.sequence)).count == 4)
            }
            try await store.close()

            // The shard map survives a restart.
            let reopened = try StreamStore(directory: directory, configuration: .forTesting())
            #expect(try reopened.describeStream(logs).shards.map(\.isOpen) == description.shards.map(\.isOpen))
            #expect(try readAll(reopened, logs).count == 80)
            try await reopened.close()
        }
    }

    @Test func appendsDuringASplitAreNeitherLostNorDuplicated() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for producer in 0..<4 {
                    tasks.addTask {
                        for index in 0..<100 {
                            _ = try await store.append(
                                to: logs,
                                [AppendRecord(partitionKey: "p\(producer)-\(index % 7)", data: "p\(producer)-\(index)")]
                            )
                        }
                    }
                }
                tasks.addTask {
                    try await Task.sleep(for: .milliseconds(5))
                    try await store.splitShard(logs, shard: ShardID(0), newStartingHashKey: HashKey(1) << 127)
                }
                try await tasks.waitForAll()
            }
            let texts = try readAll(store, logs).map(\.text)
            #expect(texts.count == 400)
            #expect(Set(texts).count == 400)
            try await store.close()
        }
    }

    @Test func invalidReshardsAreRefused() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 3)
            let ranges = try store.describeStream(logs).shards.map(\.hashKeyRange)
            await #expect(throws: StreamQStorageError.self) {
                try await store.splitShard(logs, shard: ShardID(1), newStartingHashKey: ranges[1].start)
            }
            await #expect(throws: StreamQStorageError.self) {
                try await store.splitShard(logs, shard: ShardID(1), newStartingHashKey: ranges[2].start)
            }
            await #expect(throws: StreamQStorageError.self) {
                try await store.mergeShards(logs, shard: ShardID(0), adjacentShard: ShardID(2))
            }
            await #expect(throws: StreamQStorageError.self) {
                try await store.splitShard(logs, shard: ShardID(9), newStartingHashKey: 5)
            }
            try await store.splitShard(logs, shard: ShardID(0), newStartingHashKey: 5)
            let closed = await #expect(throws: StreamQStorageError.self) {
                try await store.splitShard(logs, shard: ShardID(0), newStartingHashKey: 7)
            }
            #expect(closed?.code == .shardClosed)
            try await store.close()
        }
    }
}
