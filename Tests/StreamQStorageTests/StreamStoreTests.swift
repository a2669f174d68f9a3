import Testing

@testable import StreamQStorage

@Suite struct StreamStoreTests {
    @Test func appendedRecordsReadBackInOrderWithDenseSequences() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            let first = try await store.append(to: logs, records(3, prefix: "a"))
            let second = try await store.append(to: logs, records(2, prefix: "b"))
            #expect((first + second).map(\.sequenceNumber.sequence) == [0, 1, 2, 3, 4])
            let all = try readAll(store, logs)
            #expect(all.map(\.text) == ["a-0", "a-1", "a-2", "b-0", "b-1"])
            #expect(all.map(\.sequenceNumber) == (first + second).map(\.sequenceNumber))
            try await store.close()
        }
    }

    @Test func streamsSurviveReopening() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try StreamStore(directory: directory, configuration: .forTesting())
                try store.createStream(logs, shardCount: 3, retention: .seconds(7200))
                _ = try await store.append(to: logs, records(100))
                try await store.close()
            }
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            #expect(try store.listStreams() == [logs])
            let description = try store.describeStream(logs)
            #expect(description.shards.count == 3)
            #expect(description.retention == .seconds(7200))
            #expect(try readAll(store, logs).count == 100)
            let more = try await store.append(to: logs, [AppendRecord(partitionKey: "key-0", data: "again")])
            let before = try await store.append(to: logs, [AppendRecord(partitionKey: "key-0", data: "later")])
            #expect(before[0].sequenceNumber.sequence == more[0].sequenceNumber.sequence + 1)
            try await store.close()
        }
    }

    @Test func theFiveStartingPositions() async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            let store = try StreamStore(directory: directory, configuration: .forTesting(clock: clock))
            try store.createStream(logs, shardCount: 1)
            let shard = ShardID(0)
            var appended: [AppendResult] = []
            for index in 0..<10 {
                appended += try await store.append(to: logs, [AppendRecord(partitionKey: "k", data: "r\(index)")])
                clock.advance(by: 1000)
            }
            func texts(_ position: StartingPosition) throws -> [String] {
                let cursor = try store.cursor(stream: logs, shard: shard, at: position)
                return try store.read(cursor).records.map(\.text)
            }
            #expect(try texts(.trimHorizon) == (0..<10).map { "r\($0)" })
            #expect(try texts(.latest) == [])
            #expect(try texts(.atSequence(appended[4].sequenceNumber)) == (4..<10).map { "r\($0)" })
            #expect(try texts(.afterSequence(appended[4].sequenceNumber)) == (5..<10).map { "r\($0)" })
            #expect(try texts(.atTimestamp(1_767_225_600_000 + 6500)) == (7..<10).map { "r\($0)" })
            #expect(try texts(.atTimestamp(1_767_225_600_000 + 6000)) == (6..<10).map { "r\($0)" })
            #expect(try texts(.atTimestamp(0)) == (0..<10).map { "r\($0)" })
            #expect(try texts(.atTimestamp(Int64.max)) == [])

            // LATEST sees what is written after the cursor was made.
            let latest = try store.cursor(stream: logs, shard: shard, at: .latest)
            _ = try await store.append(to: logs, [AppendRecord(partitionKey: "k", data: "new")])
            #expect(try store.read(latest).records.map(\.text) == ["new"])

            // A sequence number from another shard, or not yet written, is refused.
            #expect(throws: StreamQStorageError.self) {
                try store.cursor(
                    stream: logs,
                    shard: shard,
                    at: .atSequence(SequenceNumber(sequence: 1, shard: ShardID(9)))
                )
            }
            #expect(throws: StreamQStorageError.self) {
                try store.cursor(
                    stream: logs,
                    shard: shard,
                    at: .atSequence(SequenceNumber(sequence: 500, shard: shard))
                )
            }
            try await store.close()
        }
    }

    @Test func readsHonourRecordAndByteLimitsAndContinue() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, records(25, key: { _ in "k" }))
            let start = try store.cursor(stream: logs, shard: ShardID(0), at: .trimHorizon)
            let first = try store.read(start, maxRecords: 10)
            #expect(first.records.count == 10)
            let second = try store.read(try #require(first.next), maxRecords: 10)
            #expect(second.records.first?.text == "record-10")
            let small = try store.read(start, maxRecords: 100, maxBytes: 1)
            #expect(small.records.count == 1, "a byte limit still returns one record")
            try await store.close()
        }
    }

    @Test func arrivalTimesNeverGoBackwardsWhenTheClockDoes() async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock(10_000)
            let store = try StreamStore(directory: directory, configuration: .forTesting(clock: clock))
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, records(1))
            clock.set(5_000)
            _ = try await store.append(to: logs, records(1))
            clock.set(12_000)
            _ = try await store.append(to: logs, records(1))
            #expect(try readAll(store, logs).map(\.arrivalMilliseconds) == [10_000, 10_000, 12_000])
            try await store.close()
        }
    }

    @Test func concurrentAppendersGetDenseUniqueSequencesAndLoseNothing() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 2)
            let results = try await withThrowingTaskGroup(of: [AppendResult].self) { tasks in
                for producer in 0..<8 {
                    tasks.addTask {
                        var mine: [AppendResult] = []
                        for index in 0..<50 {
                            mine += try await store.append(
                                to: logs,
                                [AppendRecord(partitionKey: "p\(producer)", data: "p\(producer)-\(index)")]
                            )
                        }
                        return mine
                    }
                }
                return try await tasks.reduce(into: []) { $0 += $1 }
            }
            #expect(Set(results.map(\.sequenceNumber)).count == 400)
            for shard in try store.describeStream(logs).shards {
                let stored = try readAll(store, logs, shard: shard.id)
                #expect(stored.map(\.sequenceNumber.sequence) == Array(0..<UInt64(stored.count)))
                // Each producer's records stay in the order it sent them.
                for producer in 0..<8 {
                    let mine = stored.filter { $0.partitionKey == "p\(producer)" }.map(\.text)
                    #expect(
                        mine == mine.sorted { Int($0.split(separator: "-")[1])! < Int($1.split(separator: "-")[1])! }
                    )
                }
            }
            #expect(try readAll(store, logs).count == 400)
            try await store.close()
        }
    }

    @Test(arguments: [FsyncPolicy.always, .interval(.milliseconds(5)), .never])
    func everyFsyncPolicyStoresAndReopens(policy: FsyncPolicy) async throws {
        try await withTemporaryDirectory { directory in
            do {
                let store = try StreamStore(directory: directory, configuration: .forTesting(fsync: policy))
                try store.createStream(logs, shardCount: 2)
                _ = try await store.append(to: logs, records(500))
                try await store.flush()
                #expect(try readAll(store, logs).count == 500)
                try await store.close()
            }
            let store = try StreamStore(directory: directory, configuration: .forTesting(fsync: policy))
            #expect(try readAll(store, logs).count == 500)
            try await store.close()
        }
    }

    @Test func segmentsRollBySizeAndReadsUseTheirIndexes() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting(segmentBytes: 4096)
            configuration.maxBatchBytes = 2048
            configuration.compression = .none
            do {
                let store = try StreamStore(directory: directory, configuration: configuration)
                try store.createStream(logs, shardCount: 1)
                for chunk in 0..<20 {
                    _ = try await store.append(
                        to: logs,
                        records(50, key: { _ in "k" }, prefix: "chunk-\(chunk)-with-some-padding")
                    )
                }
                let shard = try store.describeStream(logs).shards[0]
                #expect(shard.segmentCount > 3)
                try await store.close()
            }
            let store = try StreamStore(directory: directory, configuration: configuration)
            let all = try readAll(store, logs, shard: ShardID(0), batch: 7)
            #expect(all.count == 1000)
            #expect(all.map(\.sequenceNumber.sequence) == Array(0..<1000))
            for target in [0, 1, 49, 50, 333, 998, 999] as [UInt64] {
                let cursor = try store.cursor(
                    stream: logs,
                    shard: ShardID(0),
                    at: .atSequence(SequenceNumber(sequence: target, shard: ShardID(0)))
                )
                #expect(try store.read(cursor, maxRecords: 1).records.first?.sequenceNumber.sequence == target)
            }
            try await store.close()
        }
    }

    @Test func aShardsPartLongerThanABatchIsStoredAsSeveralInOrder() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting()
            configuration.maxBatchBytes = 1024
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: 3)
            // About 7 KB per shard: each shard's part is encoded into several batches as it is routed.
            let batch = records(400, key: { "user-\($0 % 37)" }, prefix: "a record long enough to fill batches")
            let results = try await store.append(to: logs, batch)
            for shard in try store.describeStream(logs).shards.map(\.id) {
                let mine = zip(batch, results).filter { $0.1.shard == shard }
                #expect(!mine.isEmpty)
                #expect(mine.map(\.1.sequenceNumber.sequence) == Array(0..<UInt64(mine.count)))
                #expect(try readAll(store, logs, shard: shard).map(\.data) == mine.map(\.0.data))
            }
            try await store.close()
        }
    }

    @Test func aSecondWriterIsRefusedWithTheHolderNamed() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            let error = #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: .forTesting())
            }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("pid \(getpid())") == true)
            try await store.close()
        }
    }

    @Test func deletedStreamsAreGoneAndTheirNameCanBeReused() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 2)
            _ = try await store.append(to: logs, records(10))
            try await store.deleteStream(logs)
            #expect(try store.listStreams().isEmpty)
            await #expect(throws: StreamQStorageError.self) { try await store.append(to: logs, records(1)) }
            try store.createStream(logs, shardCount: 1)
            #expect(try readAll(store, logs).isEmpty)
            try await store.close()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct IdempotentAppendTests {
    @Test func aRetriedAppendIsStoredOnceEvenAcrossARestart() async throws {
        try await withTemporaryDirectory { directory in
            let shard = ShardID(0)
            do {
                let store = try StreamStore(directory: directory, configuration: .forTesting())
                try store.createStream(logs, shardCount: 1)
                let first = try await store.append(
                    to: logs,
                    shard: shard,
                    records(3),
                    producer: ProducerStamp(producerID: 42, sequence: 0)
                )
                let retry = try await store.append(
                    to: logs,
                    shard: shard,
                    records(3),
                    producer: ProducerStamp(producerID: 42, sequence: 0)
                )
                #expect(retry == first)
                _ = try await store.append(
                    to: logs,
                    shard: shard,
                    records(2),
                    producer: ProducerStamp(producerID: 42, sequence: 1)
                )
                // Another producer and plain appends interleave freely.
                _ = try await store.append(
                    to: logs,
                    shard: shard,
                    records(1),
                    producer: ProducerStamp(producerID: 7, sequence: 0)
                )
                _ = try await store.append(to: logs, records(1))
                try await store.close()
            }
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            let again = try await store.append(
                to: logs,
                shard: shard,
                records(2),
                producer: ProducerStamp(producerID: 42, sequence: 1)
            )
            #expect(again.sequence == 3, "the retry after a restart returns the original position")
            #expect(try readAll(store, logs).count == 7)

            let gap = await #expect(throws: StreamQStorageError.self) {
                try await store.append(
                    to: logs,
                    shard: shard,
                    records(1),
                    producer: ProducerStamp(producerID: 42, sequence: 5)
                )
            }
            #expect(gap?.code == .outOfOrderSequence)
            for sequence in 2...7 as ClosedRange<UInt64> {
                _ = try await store.append(
                    to: logs,
                    shard: shard,
                    records(1),
                    producer: ProducerStamp(producerID: 42, sequence: sequence)
                )
            }
            let stale = await #expect(throws: StreamQStorageError.self) {
                try await store.append(
                    to: logs,
                    shard: shard,
                    records(3),
                    producer: ProducerStamp(producerID: 42, sequence: 0)
                )
            }
            #expect(stale?.code == .duplicateSequence)
            #expect(try readAll(store, logs).count == 13)
            try await store.close()
        }
    }
}
