import StreamQClient
import StreamQStorage
import Testing

@Suite struct BulkAppenderTests {
    /// Many keys over several shards, in chunks routed on other cores: every record once, each
    /// key's records in the order given, and every record on the shard its key's hash owns.
    @Test(arguments: [1, 4])
    func everyRecordIsStoredOnceInKeyOrderOnItsShard(shards: Int) async throws {
        try await withEngine(shards: shards) { engine, _ in
            // Small batches, so the run spans many chunks and appends.
            let appender = try BulkAppender(store: engine.store, stream: events, maxBatchRecords: 700)
            for n in 0..<300 {
                for key in 0..<50 {
                    try await appender.append(partitionKey: "k\(key)", data: Array("k\(key)#\(n)".utf8))
                }
            }
            #expect(try await appender.finish() == 15_000)
            #expect(appender.acknowledgedRecords == 15_000)
            let stored = try await collect(try engine.makeConsumer(configuration: .init(stream: events)))
            #expect(stored.count == 15_000)
            expectPerKeyOrder(stored, keys: 50, perKey: 300)
            for record in stored.prefix(500) {
                let owner = try engine.store.shard(for: .forPartitionKey(record.partitionKey), in: events)
                #expect(record.sequenceNumber.shard == owner)
            }
        }
    }

    /// Keys that never repeat (routed in chunks on other cores once two windows of them missed the
    /// route cache), then 20 keys over and over (routed as they are added, after the chunks before
    /// the retry), then new keys again: every record once, on the shard its key's hash owns, and
    /// each shard's records in the order given, across every change of routing.
    @Test func eachShardKeepsTheOrderGivenWhileRoutingChangesWithTheKeys() async throws {
        try await withEngine(shards: 4) { engine, _ in
            let appender = try BulkAppender(store: engine.store, stream: events, maxBatchRecords: 500)
            let phases = [("new", 40_000), ("repeated", 80_000), ("new again", 40_000)]
            var number = 0
            for (phase, count) in phases {
                for index in 0..<count {
                    let key = phase == "repeated" ? "k\(index % 20)" : "\(phase)-\(index)"
                    try await appender.append(partitionKey: key, data: Array("\(number)".utf8))
                    number += 1
                }
            }
            #expect(try await appender.finish() == number)
            let stored = try await collect(try engine.makeConsumer(configuration: .init(stream: events)))
            #expect(stored.count == number)
            var lastOnShard: [ShardID: Int] = [:]
            var seen = Set<Int>()
            for record in stored {
                let value = try #require(Int(String(decoding: record.data, as: UTF8.self)))
                #expect(seen.insert(value).inserted)
                let shard = record.sequenceNumber.shard
                #expect(
                    value > lastOnShard[shard, default: -1],
                    "shard \(shard): \(value) after \(lastOnShard[shard]!)"
                )
                lastOnShard[shard] = value
            }
            let owners = try stored.map { try engine.store.shard(for: .forPartitionKey($0.partitionKey), in: events) }
            #expect(zip(stored, owners).allSatisfy { $0.sequenceNumber.shard == $1 })
        }
    }

    @Test func bufferedRecordsAreStoredWhenAskedWithoutFinishing() async throws {
        try await withEngine(shards: 2) { engine, _ in
            let appender = try BulkAppender(store: engine.store, stream: events)
            try await appender.append(partitionKey: "a", data: Array("a#0".utf8))
            try await appender.append(partitionKey: "b", data: Array("b#0".utf8))
            try await appender.appendBuffered()
            // Acknowledged without finish(): the records did not wait for a full batch.
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while appender.acknowledgedRecords < 2 && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(appender.acknowledgedRecords == 2)
            try await appender.finish()
        }
    }

    @Test func aRecordTooLargeFailsTheRunAndSaysWhy() async throws {
        let smallRecords: (inout StorageConfiguration) -> Void = { $0.maxRecordBytes = 100 }
        try await withEngine(shards: 1, configure: smallRecords) { engine, _ in
            let appender = try BulkAppender(store: engine.store, stream: events)
            try await appender.append(partitionKey: "a", data: Array(repeating: UInt8(ascii: "x"), count: 50))
            try await appender.append(partitionKey: "a", data: Array(repeating: UInt8(ascii: "y"), count: 150))
            let error = await #expect(throws: StreamQStorageError.self) { try await appender.finish() }
            #expect(error?.code == .recordTooLarge)
        }
    }
}
