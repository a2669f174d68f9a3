import Foundation
import StreamQClient
import StreamQRemote
import StreamQStorage
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// ``KinesisBackend`` reading through enhanced fan-out (a consumer name) against a spawned
/// `streamq serve`: the same expectations as polling, with records pushed by SubscribeToShard.
@Suite(.timeLimit(.minutes(3))) struct FanOutBackendTests {
    let events = StreamName(rawValue: "events")!

    @Test func followsEveryKeyInOrderThroughASplitAndReadsBoundedToo() async throws {
        try await withStreamqServer { server in
            try await withFanOutBackend(server) { backend in
                try await createStream(events, shards: 2, on: backend)
                let consumer = try StreamQConsumer(
                    backend: backend,
                    configuration: Self.following(events),
                    groupsDirectory: nil
                )
                let received = Shared<[StoredRecord]>([])
                let producer = StreamQProducer(backend: backend)
                let parent = try #require(try await backend.describeStream(events).shards.first)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await consumer.run() }
                    tasks.addTask {
                        for try await record in consumer.records { received.value.withLock { $0.append(record) } }
                    }
                    try await sendKeyed(producer, to: events, keys: 40, range: 0..<25)
                    try await producer.flush()
                    // Split while the parent's subscription is open: its events end it with ChildShards.
                    let range = parent.hashKeyRange
                    try await backend.client.splitShard(
                        .name(events.rawValue),
                        shardID: parent.id.description,
                        newStartingHashKey: String(range.start + (range.end - range.start) / 2)
                    )
                    _ = try await backend.client.waitUntilActive(.name(events.rawValue))
                    try await sendKeyed(producer, to: events, keys: 40, range: 25..<50)
                    try await producer.flush()
                    while received.value.withLock({ $0.count }) < 2000 { try await Task.sleep(for: .milliseconds(20)) }
                    try await Task.sleep(for: .milliseconds(300))  // anything read twice would show now
                    consumer.stop()
                    try await tasks.waitForAll()
                }
                try await producer.close()
                let followed = received.value.withLock { $0 }
                expectPerKeyOrder(followed, keys: 40, perKey: 50)
                let children = try await backend.describeStream(events).shards.first { $0.id == parent.id }?.children
                #expect(followed.contains { children?.contains($0.sequenceNumber.shard) == true })
                #expect(try await subscriptionsAccepted(server) >= 3)  // both shards, then the children

                // Bounded: each open shard's subscription says when it is caught up.
                expectPerKeyOrder(try await readAllRecords(backend, events), keys: 40, perKey: 50)
                let summary = try await backend.client.describeStreamSummary(.name(events.rawValue))
                let registered = try await backend.client.describeStreamConsumer(
                    streamARN: summary.arn,
                    consumerName: Self.consumerName
                )
                #expect(registered.status == "ACTIVE")
            }
        }
    }

    @Test func resumesWhereItWasAcrossAServerRestart() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withFanOutBackend(server, configure: KinesisBackendTests.patientRetries) { backend in
            try await createStream(events, shards: 2, on: backend)
            let consumer = try StreamQConsumer(
                backend: backend,
                configuration: Self.following(events),
                groupsDirectory: nil
            )
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
                // Shutting down ends the subscriptions; subscribing again waits for the new server.
                await server.halt()
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

    @Test func renewsSubscriptionsTheServerEnds() async throws {
        try await withStreamqServer(["--subscription-lifetime", "1"]) { server in
            try await withFanOutBackend(server) { backend in
                try await createStream(events, shards: 1, on: backend)
                let consumer = try StreamQConsumer(
                    backend: backend,
                    configuration: Self.following(events),
                    groupsDirectory: nil
                )
                let received = Shared<[StoredRecord]>([])
                let producer = StreamQProducer(backend: backend)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await consumer.run() }
                    tasks.addTask {
                        for try await record in consumer.records { received.value.withLock { $0.append(record) } }
                    }
                    // Rounds until the server has ended and accepted again the subscription twice,
                    // with records before, between and after the renewals.
                    var round = 0
                    while try await subscriptionsAccepted(server) < 3 || round < 5 {
                        try await sendKeyed(producer, to: events, keys: 5, range: round..<(round + 1))
                        try await producer.flush()
                        round += 1
                        try await Task.sleep(for: .milliseconds(250))
                    }
                    let expected = round * 5
                    while received.value.withLock({ $0.count }) < expected {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await Task.sleep(for: .milliseconds(300))  // anything read twice would show now
                    consumer.stop()
                    try await tasks.waitForAll()
                    expectPerKeyOrder(received.value.withLock { $0 }, keys: 5, perKey: round)
                }
                try await producer.close()
            }
        }
    }

    @Test func latestCursorGetsWhatIsStoredAfterItWithAggregatesUnpacked() async throws {
        try await withStreamqServer { server in
            try await withFanOutBackend(server) { backend in
                try await createStream(events, shards: 1, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await sendKeyed(producer, to: events, keys: 1, range: 0..<5)
                try await producer.flush()
                let latest = try await backend.cursor(stream: events, shard: ShardID(0), at: .latest)
                let caughtUp = try await backend.read(latest, maxRecords: 100, maxBytes: 1 << 20)
                #expect(caughtUp.records.isEmpty && caughtUp.next == latest)
                #expect(try await backend.waitForRecords(at: latest, timeout: .milliseconds(300)) == false)
                let users = (0..<3).map { UserRecord(partitionKey: "user-\($0)", data: Array("u\($0)".utf8)) }
                _ = try await backend.client.putRecordsReliably(
                    stream: .name(events.rawValue),
                    records: [
                        PutRecordsEntry(data: KPLAggregate.encode(records: users), partitionKey: "a"),
                        PutRecordsEntry(data: Array("plain".utf8), partitionKey: "p"),
                    ]
                )
                #expect(try await backend.waitForRecords(at: latest, timeout: .seconds(10)))
                // A read never splits an aggregate: all its user records come at once, then the next.
                let first = try await backend.read(latest, maxRecords: 2, maxBytes: 1 << 20)
                #expect(first.records.map(\.text) == ["u0", "u1", "u2"])
                #expect(first.records.map(\.partitionKey) == users.map(\.partitionKey))
                let second = try await backend.read(try #require(first.next), maxRecords: 2, maxBytes: 1 << 20)
                #expect(second.records.map(\.text) == ["plain"])
                try await producer.close()
            }
        }
    }

    static let consumerName = "fan-out-tests"

    /// A lone consumer following `stream` from the trim horizon.
    static func following(_ stream: StreamName) -> StreamQConsumerConfiguration {
        var configuration = StreamQConsumerConfiguration(stream: stream)
        configuration.follow = true
        configuration.idleCheckInterval = .milliseconds(200)
        return configuration
    }
}

/// Runs `body` with a ``KinesisBackend`` reading through the enhanced fan-out consumer
/// ``FanOutBackendTests/consumerName``, over a client for `server` adjusted by `configure`.
func withFanOutBackend<T>(
    _ server: SpawnedServer,
    configure: (inout KinesisClientConfiguration) -> Void = { _ in },
    _ body: (KinesisBackend) async throws -> T
) async throws -> T {
    var configuration = try server.configuration()
    configure(&configuration)
    var backendConfiguration = KinesisBackendConfiguration()
    backendConfiguration.consumerName = FanOutBackendTests.consumerName
    return try await withClient(configuration) { client in
        try await body(KinesisBackend(client: client, configuration: backendConfiguration))
    }
}

/// How many SubscribeToShard calls `server` has accepted, from its `/metrics`.
func subscriptionsAccepted(_ server: SpawnedServer) async throws -> Int {
    let url = try #require(URL(string: server.url + "/metrics"))
    let (data, _) = try await URLSession.shared.data(from: url)
    let prefix = #"streamq_kinesis_requests_total{operation="SubscribeToShard",status="200"} "#
    let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }
    return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
}
