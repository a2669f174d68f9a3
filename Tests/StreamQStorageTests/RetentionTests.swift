import Testing

@testable import StreamQStorage

@Suite struct RetentionTests {
    func configuration(_ clock: ManualClock) -> StorageConfiguration {
        var configuration = StorageConfiguration.forTesting(clock: clock, segmentBytes: 4096)
        configuration.compression = .none
        configuration.segmentMaxAge = .seconds(600)
        return configuration
    }

    @Test func wholeSegmentsOlderThanTheRetentionAreDeleted() async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            let store = try StreamStore(directory: directory, configuration: configuration(clock))
            try store.createStream(logs, shardCount: 1, retention: .seconds(3600))
            for batch in 0..<20 {
                _ = try await store.append(
                    to: logs,
                    records(10, key: { _ in "k" }, prefix: "old-\(batch)-padding-padding-padding")
                )
            }
            clock.advance(by: 2 * 3600 * 1000)
            _ = try await store.append(to: logs, records(10, key: { _ in "k" }, prefix: "new"))
            let before = try store.describeStream(logs).shards[0]
            #expect(before.storedSequences == 0..<210)
            try await store.runMaintenance()
            let after = try store.describeStream(logs).shards[0]
            #expect(after.storedSequences == 200..<210, "every old record was in a sealed, expired segment")
            #expect(after.segmentCount < before.segmentCount)
            #expect(try readAll(store, logs).map(\.text) == (0..<10).map { "new-\($0)" })

            // A cursor from before the trim horizon restarts at it and says so.
            let stale = ShardCursor(stream: logs, shard: ShardID(0), sequence: 3)
            let result = try store.read(stale)
            #expect(result.trimmedTo == 200)
            #expect(result.records.first?.sequenceNumber.sequence == 200)
            try await store.close()

            // Deleted segments stay deleted and sequences continue after a restart.
            let reopened = try StreamStore(directory: directory, configuration: configuration(clock))
            #expect(try reopened.describeStream(logs).shards[0].storedSequences == 200..<210)
            try await reopened.close()
        }
    }

    @Test func theActiveSegmentIsSealedWhenOldAndNeverDeletedWhileActive() async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            let store = try StreamStore(directory: directory, configuration: configuration(clock))
            try store.createStream(logs, shardCount: 1, retention: .seconds(3600))
            _ = try await store.append(to: logs, records(5))
            clock.advance(by: 2 * 3600 * 1000)
            try await store.runMaintenance()  // seals the aged active segment, which is expired: deleted
            #expect(try store.describeStream(logs).shards[0].storedSequences == 5..<5)
            _ = try await store.append(to: logs, records(5))
            try await store.runMaintenance()
            #expect(try readAll(store, logs).count == 5, "fresh records stay")
            try await store.close()
        }
    }

    @Test func sizeRetentionKeepsTheNewestSegments() async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            let store = try StreamStore(directory: directory, configuration: configuration(clock))
            try store.createStream(logs, shardCount: 1, retentionBytes: 10_000)
            for batch in 0..<60 {
                _ = try await store.append(
                    to: logs,
                    records(10, key: { _ in "k" }, prefix: "b\(batch)-padding-padding-padding")
                )
            }
            try await store.runMaintenance()
            let shard = try store.describeStream(logs).shards[0]
            #expect(shard.bytesOnDisk <= 10_000 + 4096)
            #expect(shard.storedSequences.upperBound == 600)
            #expect(shard.storedSequences.lowerBound > 0)
            let all = try readAll(store, logs)
            #expect(all.last?.text == "b59-padding-padding-padding-9")
            try await store.close()
        }
    }
}
