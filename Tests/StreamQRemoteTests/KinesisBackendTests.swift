import Foundation
import StreamQAWS
import StreamQClient
import StreamQRemote
import StreamQStorage
import Synchronization
import Testing

/// ``KinesisBackend`` against a spawned `streamq serve`, with the same expectations as the
/// embedded producer and consumer tests (build the server first: `swift build --product streamq`).
@Suite(.timeLimit(.minutes(3))) struct KinesisBackendTests {
    let events = StreamName(rawValue: "events")!

    @Test func producerAndConsumerKeepEachKeysOrderThroughASplit() async throws {
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 2, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await sendKeyed(producer, to: events, keys: 40, range: 0..<25)
                // Split while records may still be buffered or in flight.
                let parent = try #require(try await backend.describeStream(events).shards.first)
                let range = parent.hashKeyRange
                try await backend.client.splitShard(
                    .name(events.rawValue),
                    shardID: parent.id.description,
                    newStartingHashKey: String(range.start + (range.end - range.start) / 2)
                )
                _ = try await backend.client.waitUntilActive(.name(events.rawValue))
                try await sendKeyed(producer, to: events, keys: 40, range: 25..<50)
                try await producer.close()
                #expect(producer.acknowledgedRecords == 2000)

                let description = try await backend.describeStream(events)
                let closed = try #require(description.shards.first { $0.id == parent.id })
                #expect(!closed.isOpen)
                #expect(closed.children.count == 2)
                #expect(closed.storedSequences.upperBound == closed.endingSequenceNumber!.sequence + 1)
                #expect(description.openShards.count == 3)
                #expect(description.openShards.allSatisfy { $0.storedSequences.upperBound == .max })
                for child in closed.children {
                    #expect(description.shards.first { $0.id == child }?.parents == [parent.id])
                }

                // LATEST of a closed shard is its end: reading there ends it and names the children.
                let end = try await backend.cursor(stream: events, shard: parent.id, at: .latest)
                let ended = try await backend.read(end, maxRecords: 10, maxBytes: 1 << 20)
                #expect(ended.records.isEmpty && ended.next == nil)
                #expect(Set(ended.childShards) == Set(closed.children))

                let records = try await readAllRecords(backend, events)
                expectPerKeyOrder(records, keys: 40, perKey: 50)
                #expect(records.contains { closed.children.contains($0.sequenceNumber.shard) })
            }
        }
    }

    @Test func aProducerWithAggregationSendsFewKinesisRecordsThatReadersUnpackInOrder() async throws {
        try await withStreamqServer { server in
            let configuration = try server.configuration()
            try await withClient(configuration) { client in
                var settings = KinesisBackendConfiguration()
                settings.aggregateRecords = true
                let backend = KinesisBackend(client: client, configuration: settings)
                try await createStream(events, shards: 2, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await sendKeyed(producer, to: events, keys: 30, range: 0..<40)
                try await producer.close()
                #expect(producer.acknowledgedRecords == 1200)

                // The service holds aggregates (a few per append), not 1,200 records.
                var stored = 0
                for shard in try await client.listShards(.name(events.rawValue)) {
                    var iterator: String? = try await client.getShardIterator(
                        .name(events.rawValue),
                        shardID: shard.shardID,
                        position: .trimHorizon
                    )
                    while let current = iterator {
                        let answer = try await client.getRecords(iterator: current)
                        stored += answer.records.count
                        iterator =
                            answer.records.isEmpty && answer.millisBehindLatest == 0 ? nil : answer.nextShardIterator
                    }
                }
                #expect(stored > 0 && stored < 1200 / 4, "\(stored) Kinesis records for 1,200 user records")
                expectPerKeyOrder(
                    try await readAllRecords(KinesisBackend(client: client), events),
                    keys: 30,
                    perKey: 40
                )
            }
        }
    }

    @Test func groupMembersShareTheShardsThroughALocalGroupsDirectory() async throws {
        let groups = FileManager.default.temporaryDirectory.appendingPathComponent("streamq-groups-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: groups) }
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 4, on: backend)
                let members = ["m1", "m2"]
                let consumers = try members.map { member in
                    var configuration = StreamQConsumerConfiguration(stream: events)
                    configuration.follow = true
                    var group = ConsumerGroupConfiguration(name: "shared", memberID: member)
                    group.renewInterval = .milliseconds(100)
                    group.leaseDuration = .seconds(2)
                    configuration.group = group
                    return try StreamQConsumer(backend: backend, configuration: configuration, groupsDirectory: groups)
                }
                let seen = Shared<[String: [StoredRecord]]>([:])
                let producer = StreamQProducer(backend: backend)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    for (member, consumer) in zip(members, consumers) {
                        tasks.addTask { try await consumer.run() }
                        tasks.addTask {
                            for try await record in consumer.records {
                                seen.value.withLock { $0[member, default: []].append(record) }
                            }
                        }
                    }
                    // Rounds of 40 keys until one round is read by both members, from disjoint
                    // shards that together are all four: the group has balanced.
                    var balanced = false
                    for round in 0..<40 where !balanced {
                        seen.value.withLock { $0 = [:] }
                        try await sendKeyed(producer, to: events, keys: 40, range: round..<(round + 1))
                        try await producer.flush()
                        let expected = Set((0..<40).map { "k\($0)#\(round)" })
                        while true {
                            let texts = seen.value.withLock { Set($0.values.joined().map(\.text)) }
                            if expected.isSubset(of: texts) { break }
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        let shards = seen.value.withLock { $0.mapValues { Set($0.map(\.sequenceNumber.shard)) } }
                        let first = shards["m1", default: []]
                        let second = shards["m2", default: []]
                        balanced =
                            !first.isEmpty && !second.isEmpty && first.isDisjoint(with: second)
                            && first.union(second).count == 4
                    }
                    #expect(balanced, "both members read, from disjoint shards covering all four")
                    for consumer in consumers { consumer.stop() }
                    try await tasks.waitForAll()
                }
                try await producer.close()
            }
        }
    }

    @Test func aGroupResumesFromItsCheckpointsThroughASplit() async throws {
        let groups = FileManager.default.temporaryDirectory.appendingPathComponent("streamq-groups-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: groups) }
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 2, on: backend)
                /// Runs member `member` of group "resumable" until it has `count` records, then stops it.
                func consume(as member: String, count: Int) async throws -> [StoredRecord] {
                    var configuration = StreamQConsumerConfiguration(stream: events)
                    configuration.follow = true
                    configuration.idleCheckInterval = .milliseconds(100)
                    var group = ConsumerGroupConfiguration(name: "resumable", memberID: member)
                    group.renewInterval = .milliseconds(100)
                    // Long enough that a loaded machine never lets m1's lease lapse (its last commit
                    // would be refused, and m2 would read again what m1 had: at-least-once); m1
                    // leaves when it stops, so m2 need not wait for it.
                    group.leaseDuration = .seconds(30)
                    configuration.group = group
                    let consumer = try StreamQConsumer(
                        backend: backend,
                        configuration: configuration,
                        groupsDirectory: groups
                    )
                    let received = Shared<[StoredRecord]>([])
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { try await consumer.run() }
                        tasks.addTask {
                            for try await record in consumer.records {
                                received.value.withLock { $0.append(record) }
                            }
                        }
                        while received.value.withLock({ $0.count }) < count {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        try await Task.sleep(for: .milliseconds(300))  // anything read twice would show now
                        consumer.stop()
                        try await tasks.waitForAll()
                    }
                    return received.value.withLock { $0 }
                }
                let producer = StreamQProducer(backend: backend)
                try await sendKeyed(producer, to: events, keys: 20, range: 0..<10)
                try await producer.flush()
                let first = try await consume(as: "m1", count: 200)
                expectPerKeyOrder(first, keys: 20, perKey: 10)

                // Stopped, the member committed; a split and more records, then another member.
                _ = try await split(ShardID(0), of: events, on: backend)
                try await sendKeyed(producer, to: events, keys: 20, range: 10..<20)
                try await producer.close()
                let second = try await consume(as: "m2", count: 200)
                expectPerKeyOrder(first + second, keys: 20, perKey: 20)
            }
        }
    }

    @Test func cursorsAtEveryStartingPosition() async throws {
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 1, on: backend)
                let shard = ShardID(0)
                let producer = StreamQProducer(backend: backend)
                var stored: [AppendResult] = []
                for n in 0..<10 {
                    stored.append(
                        try await producer.sendAndWait(ProducerRecord(stream: events, partitionKey: "p", data: "\(n)"))
                    )
                }
                func texts(from cursor: ShardCursor) async throws -> [String] {
                    try await backend.read(cursor, maxRecords: 100, maxBytes: 1 << 20).records.map(\.text)
                }
                func texts(_ position: StartingPosition) async throws -> [String] {
                    try await texts(from: try await backend.cursor(stream: events, shard: shard, at: position))
                }
                let all = (0..<10).map(String.init)
                let trimHorizon = try await backend.cursor(stream: events, shard: shard, at: .trimHorizon)
                let records = try await backend.read(trimHorizon, maxRecords: 100, maxBytes: 1 << 20).records
                #expect(records.map(\.text) == all)
                #expect(records.map(\.sequenceNumber) == stored.map(\.sequenceNumber))
                #expect(try await texts(.atSequence(stored[4].sequenceNumber)) == Array(all[4...]))
                #expect(try await texts(.afterSequence(stored[4].sequenceNumber)) == Array(all[5...]))
                #expect(try await texts(.atTimestamp(0)) == all)
                #expect(try await texts(.afterSequence(stored[9].sequenceNumber)) == [])
                // A cursor made by hand (no cached iterator) reads from its position.
                let handMade = ShardCursor(stream: events, shard: shard, sequence: stored[7].sequenceNumber.sequence)
                #expect(try await texts(from: handMade) == Array(all[7...]))
                let description = try await backend.describeStream(events)
                #expect(description.shards[0].storedSequences.lowerBound == trimHorizon.sequence)
                #expect(description.shards[0].storedSequences.upperBound == .max)

                let latest = try await backend.cursor(stream: events, shard: shard, at: .latest)
                #expect(latest.sequence == .max)
                let caughtUp = try await backend.read(latest, maxRecords: 100, maxBytes: 1 << 20)
                #expect(caughtUp.records.isEmpty)
                #expect(caughtUp.next == latest)
                #expect(try await backend.waitForRecords(at: latest, timeout: .milliseconds(300)) == false)
                for n in 10..<12 {
                    _ = try await producer.sendAndWait(ProducerRecord(stream: events, partitionKey: "p", data: "\(n)"))
                }
                #expect(try await backend.waitForRecords(at: latest, timeout: .seconds(10)))
                #expect(try await texts(from: latest) == ["10", "11"])

                // Reading on in small steps: each read continues where the last left off.
                var cursor: ShardCursor? = trimHorizon
                var stepped: [String] = []
                while let current = cursor {
                    let result = try await backend.read(current, maxRecords: 3, maxBytes: 1 << 20)
                    #expect(result.records.count <= 3)
                    stepped += result.records.map(\.text)
                    cursor = result.records.isEmpty ? nil : result.next
                }
                #expect(stepped == (0..<12).map(String.init))
            }
        }
    }

    @Test func deliversKPLAggregatesWhole() async throws {
        try await withStreamqServer { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 1, on: backend)
                let users = (0..<5).map { UserRecord(partitionKey: "user-\($0)", data: Array("u\($0)".utf8)) }
                _ = try await backend.client.putRecordsReliably(
                    stream: .name(events.rawValue),
                    records: [
                        PutRecordsEntry(data: KPLAggregate.encode(records: users), partitionKey: "a"),
                        PutRecordsEntry(data: Array("plain".utf8), partitionKey: "p"),
                    ]
                )
                let start = try await backend.cursor(stream: events, shard: ShardID(0), at: .trimHorizon)
                let first = try await backend.read(start, maxRecords: 2, maxBytes: 1 << 20)
                #expect(first.records.map(\.text) == users.map { String(decoding: $0.data, as: UTF8.self) })
                #expect(first.records.map(\.partitionKey) == users.map(\.partitionKey))
                #expect(Set(first.records.map(\.sequenceNumber)).count == 1)
                let next = try #require(first.next)
                var seen: [String] = []
                let second = try await backend.scan(next, maxRecords: 2, maxBytes: 1 << 20) { view in
                    seen.append(String(decoding: view.data, as: UTF8.self))
                }
                #expect(seen == ["plain"])
                #expect(second.recordCount == 1)
            }
        }
    }

    @Test func replacesExpiredIterators() async throws {
        try await withStreamqServer(["--iterator-lifetime", "2"]) { server in
            try await withBackend(server) { backend in
                try await createStream(events, shards: 1, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await sendKeyed(producer, to: events, keys: 1, range: 0..<10)
                try await producer.close()
                let start = try await backend.cursor(stream: events, shard: ShardID(0), at: .trimHorizon)
                let first = try await backend.read(start, maxRecords: 4, maxBytes: 1 << 20)
                #expect(first.records.map(\.text) == (0..<4).map { "k0#\($0)" })
                try await Task.sleep(for: .milliseconds(3500))  // the iterator kept for `next` expires
                let second = try await backend.read(try #require(first.next), maxRecords: 100, maxBytes: 1 << 20)
                #expect(second.records.map(\.text) == (4..<10).map { "k0#\($0)" })
            }
        }
    }

    @Test func consumerResumesWhereItWasAcrossAServerRestartWithANewIteratorKey() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withBackend(server, configure: Self.patientRetries) { backend in
            try await createStream(events, shards: 2, on: backend)
            var configuration = StreamQConsumerConfiguration(stream: events)
            configuration.follow = true
            configuration.idleCheckInterval = .milliseconds(200)
            let consumer = try StreamQConsumer(backend: backend, configuration: configuration, groupsDirectory: nil)
            let received = Shared<[StoredRecord]>([])
            let producer = StreamQProducer(backend: backend)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await consumer.run() }
                tasks.addTask {
                    for try await record in consumer.records { received.value.withLock { $0.append(record) } }
                }
                try await sendKeyed(producer, to: events, keys: 10, range: 0..<10)
                try await producer.flush()
                while received.value.withLock({ $0.count }) < 100 { try await Task.sleep(for: .milliseconds(20)) }
                // The restarted server signs iterators with a new key: the old ones are invalid.
                await server.halt()
                try FileManager.default.removeItem(atPath: try #require(server.scratchPath) + "/data/server.key")
                try await server.relaunch()
                try await sendKeyed(producer, to: events, keys: 10, range: 10..<20)
                try await producer.flush()
                while received.value.withLock({ $0.count }) < 200 { try await Task.sleep(for: .milliseconds(20)) }
                try await Task.sleep(for: .milliseconds(300))  // anything read twice would show now
                consumer.stop()
                try await tasks.waitForAll()
            }
            try await producer.close()
            expectPerKeyOrder(received.value.withLock { $0 }, keys: 10, perKey: 20)
        }
    }

    @Test func producerLosesNothingWhenTheEndpointIsDownAtFirstAndMidway() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withBackend(server, configure: Self.patientRetries) { backend in
            try await createStream(events, shards: 2, on: backend)
            await server.halt()
            let producer = StreamQProducer(backend: backend)
            // Down at start: the stream's description and the first appends wait for the server.
            let firstHalf = Task { try await sendKeyed(producer, to: events, keys: 20, range: 0..<10) }
            try await Task.sleep(for: .seconds(1))
            try await server.relaunch()
            try await firstHalf.value
            try await producer.flush()
            // Down midway, with records buffered and in flight.
            await server.halt()
            let secondHalf = Task {
                try await sendKeyed(producer, to: events, keys: 20, range: 10..<20)
                try await producer.flush()
            }
            try await Task.sleep(for: .seconds(1))
            try await server.relaunch()
            try await secondHalf.value
            try await producer.close()
            #expect(producer.acknowledgedRecords == 400)
            expectPerKeyOrder(try await readAllRecords(backend, events), keys: 20, perKey: 20)
        }
    }

    @Test func appendsThatFailedWhileTheEndpointWasDownAreRetriedInOrder() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        // The client gives up at once: the producer's retries carry the appends across the outage.
        let impatient: (inout KinesisClientConfiguration) -> Void = {
            $0.retry = RetryBackoff(base: .milliseconds(10), cap: .milliseconds(20), maxAttempts: 2)
            $0.connectTimeout = .seconds(1)
        }
        try await withBackend(server, configure: impatient) { backend in
            try await createStream(events, shards: 2, on: backend)
            var configuration = StreamQProducerConfiguration()
            configuration.maxBatchRecords = 10  // several batches in flight per shard
            configuration.maxAttempts = 30
            configuration.maxBackoff = .milliseconds(500)
            let producer = StreamQProducer(backend: backend, configuration: configuration)
            try await sendKeyed(producer, to: events, keys: 20, range: 0..<5)
            try await producer.flush()
            await server.halt()
            let sending = Task {
                try await sendKeyed(producer, to: events, keys: 20, range: 5..<20)
                try await producer.flush()
            }
            try await Task.sleep(for: .seconds(1))
            try await server.relaunch()
            try await sending.value
            try await producer.close()
            #expect(producer.acknowledgedRecords == 400)
            expectPerKeyOrder(try await readAllRecords(backend, events), keys: 20, perKey: 20)
        }
    }

    /// Retries that outlast a server restart (a few seconds).
    static func patientRetries(_ configuration: inout KinesisClientConfiguration) {
        configuration.retry = RetryBackoff(base: .milliseconds(50), cap: .milliseconds(500), maxAttempts: 40)
        configuration.connectTimeout = .seconds(1)
    }
}
