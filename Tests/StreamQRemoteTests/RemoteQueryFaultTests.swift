import AsyncHTTPClient
import Foundation
import NIOCore
import StreamQAWS
import StreamQClient
import StreamQRemote
import StreamQSQL
import StreamQStorage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults between the SQL engine (and the producer and consumer beside it) and `streamq serve`:
/// the endpoint down at start, the server killed mid-query, throttling and 500s. The producer loses
/// nothing, the consumer resumes, and the query keeps its windows: each emitted once, complete.
@Suite(.timeLimit(.minutes(2))) struct RemoteQueryFaultTests {
    let events = StreamName(rawValue: "events")!

    @Test func aBoundedQueryStartedWhileTheEndpointIsDownRunsOnceItComesUp() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withBackend(server, configure: KinesisBackendTests.patientRetries) { backend in
            try await createStream(events, shards: 2, on: backend)
            let producer = StreamQProducer(backend: backend)
            try await QueryEvents.send(producer, to: events, keys: 10, range: 0..<30)
            try await producer.close()
            await server.halt()
            let query = QueryEvents.boundedQuery(events)
            let events = events
            let rows = Task { try await boundedRows(query, over: backend, stream: events) }
            try await Task.sleep(for: .seconds(1))
            try await server.relaunch()
            #expect(try await rows.value == QueryEvents.boundedRows(keys: 10, range: 0..<30))
        }
    }

    @Test func aBoundedQueryFailsWithOneClearErrorOnceItsRetriesAreSpent() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withBackend(server, configure: Self.impatientRetries) { backend in
            try await createStream(events, shards: 1, on: backend)
            await server.halt()
            let error = try await #require(throws: KinesisClientError.self) {
                try await boundedRows(QueryEvents.boundedQuery(events), over: backend, stream: events)
            }
            #expect(error.operation == "DescribeStreamSummary")
            #expect(error.attempts == 3)
            #expect(error.description.hasPrefix("Kinesis DescribeStreamSummary failed after 3 attempts: "))
        }
    }

    @Test func aFollowedQueryKeepsItsWindowsWhenTheServerIsKilledAndRestarted() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withBackend(server, configure: KinesisBackendTests.patientRetries) { backend in
            try await withCheckpoint { checkpoint in
                try await createStream(events, shards: 2, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await QueryEvents.send(producer, to: events, keys: 20, range: 0..<30)
                try await producer.flush()
                let run = FollowRun(try followRunner(backend, stream: events), checkpoint: checkpoint)
                #expect(try await run.waitForRows(2) == QueryEvents.followRows(keys: 20, seconds: 0..<2))
                // The query polls a dead server, then a restarted one; records come after it is up.
                await server.halt(signal: SIGKILL)
                let sending = Task {
                    try await QueryEvents.send(producer, to: events, keys: 20, range: 30..<60)
                    try await producer.flush()
                }
                try await Task.sleep(for: .seconds(1))
                try await server.relaunch()
                try await sending.value
                try await producer.close()
                #expect(try await run.waitForRows(5) == QueryEvents.followRows(keys: 20, seconds: 0..<5))
                try await Task.sleep(for: .milliseconds(300))  // a window emitted twice would show now
                try await run.stop()
                #expect(run.emitted == QueryEvents.followRows(keys: 20, seconds: 0..<5))
            }
        }
    }

    @Test func aFollowedQueryThatGaveUpOnADeadServerResumesFromItsCheckpoint() async throws {
        let server = try await SpawnedServer.streamq()
        defer { server.stop() }
        try await withBackend(server, configure: Self.impatientRetries) { backend in
            try await withCheckpoint { checkpoint in
                try await createStream(events, shards: 2, on: backend)
                let producer = StreamQProducer(backend: backend)
                try await QueryEvents.send(producer, to: events, keys: 20, range: 0..<30)
                try await producer.flush()
                let first = FollowRun(try followRunner(backend, stream: events), checkpoint: checkpoint)
                #expect(try await first.waitForRows(2) == QueryEvents.followRows(keys: 20, seconds: 0..<2))
                await server.halt(signal: SIGKILL)
                let error = try await #require(throws: KinesisClientError.self) { try await first.waitForRows(3) }
                #expect(error.attempts == 3)
                try await server.relaunch()
                try await QueryEvents.send(producer, to: events, keys: 20, range: 30..<60)
                try await producer.close()
                let second = FollowRun(try followRunner(backend, stream: events), checkpoint: checkpoint)
                #expect(try await second.waitForRows(3) == QueryEvents.followRows(keys: 20, seconds: 2..<5))
                try await Task.sleep(for: .milliseconds(300))  // a window emitted twice would show now
                try await second.stop()
                #expect(second.emitted == QueryEvents.followRows(keys: 20, seconds: 2..<5))
            }
        }
    }

    @Test func underAWSShardLimitsNothingIsLostAndTheQueriesKeepTheirWindows() async throws {
        try await withStreamqServer(["--shard-limits", "aws"]) { server in
            try await withBackend(server, configure: KinesisBackendTests.patientRetries) { backend in
                try await createStream(events, shards: 2, on: backend)
                // A second backend for the consumer: its polls do not share the query's pacing, so
                // together they read a shard more than five times a second.
                try await withBackend(server, configure: KinesisBackendTests.patientRetries) { consumerBackend in
                    try await expectNothingLost(
                        producing: backend,
                        consuming: consumerBackend,
                        server: server,
                        keys: 20,
                        numbers: 150
                    )
                }
                // Bounded queries at once read each shard more than five times in a second; rounds
                // of them until the server has throttled some read (a loaded machine may need more).
                let query = QueryEvents.boundedQuery(events)
                let events = events
                for _ in 0..<10 where try await errorCount("ProvisionedThroughputExceededException", on: server) == 0 {
                    try await withThrowingTaskGroup(of: [[SQLValue]].self) { queries in
                        for _ in 0..<4 {
                            queries.addTask { try await boundedRows(query, over: backend, stream: events) }
                        }
                        for try await rows in queries {
                            #expect(rows == QueryEvents.boundedRows(keys: 20, range: 0..<150))
                        }
                    }
                }
                #expect(try await errorCount("ProvisionedThroughputExceededException", on: server) > 0)
            }
        }
    }

    @Test func throughAProxyAnswering500sThrottlingAndDroppingConnectionsNothingIsLost() async throws {
        try await withStreamqServer { server in
            let fault: @Sendable (Int) -> FaultInjectingProxy.Fault? = { number in
                if number % 5 == 0 { return .internalFailure }
                if number % 7 == 0 { return .throttling }
                if number % 11 == 0 { return .droppedConnection }
                return nil
            }
            try await withFaultInjectingProxy(server, fault: fault) { proxy in
                var configuration = KinesisClientConfiguration(
                    endpoint: try KinesisEndpoint(region: "us-east-1", overrideURL: proxy.url),
                    credentials: SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret")
                )
                KinesisBackendTests.patientRetries(&configuration)
                try await withClient(configuration) { client in
                    let backend = KinesisBackend(client: client)
                    try await createStream(events, shards: 2, on: backend)
                    try await expectNothingLost(
                        producing: backend,
                        consuming: backend,
                        server: server,
                        keys: 20,
                        numbers: 60
                    )
                }
                let injected = proxy.injected
                #expect(injected[.internalFailure, default: 0] > 0)
                #expect(injected[.throttling, default: 0] > 0)
                #expect(injected[.droppedConnection, default: 0] > 0)
            }
        }
    }

    /// Numbers `0..<numbers` of `keys` keys sent through `producing` while a follow query over it
    /// and a following consumer over `consuming` read them: every record acknowledged, consumed
    /// once in its key's order, every closed window emitted once and complete, and a bounded query
    /// afterwards gives the rows the embedded engine gives over the server's data directory.
    private func expectNothingLost(
        producing: KinesisBackend,
        consuming: KinesisBackend,
        server: SpawnedServer,
        keys: Int,
        numbers: Int
    ) async throws {
        try await withCheckpoint { checkpoint in
            var configuration = StreamQConsumerConfiguration(stream: events)
            configuration.follow = true
            configuration.idleCheckInterval = .milliseconds(200)
            let consumer = try StreamQConsumer(backend: consuming, configuration: configuration, groupsDirectory: nil)
            let consumed = Shared<[StoredRecord]>([])
            let run = FollowRun(try followRunner(producing, stream: events), checkpoint: checkpoint)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await consumer.run() }
                tasks.addTask {
                    for try await record in consumer.records { consumed.value.withLock { $0.append(record) } }
                }
                let producer = StreamQProducer(backend: producing)
                try await QueryEvents.send(producer, to: events, keys: keys, range: 0..<numbers)
                try await producer.close()
                #expect(producer.acknowledgedRecords == keys * numbers)
                let seconds = 0..<(numbers / 10 - 1)  // the last second stays open
                #expect(
                    try await run.waitForRows(seconds.count) == QueryEvents.followRows(keys: keys, seconds: seconds)
                )
                while consumed.value.withLock({ $0.count }) < keys * numbers {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))  // anything read or emitted twice would show now
                consumer.stop()
                try await tasks.waitForAll()
                try await run.stop()
                #expect(run.emitted == QueryEvents.followRows(keys: keys, seconds: seconds))
            }
            let records = consumed.value.withLock { $0 }
            for key in 0..<keys {
                #expect(
                    records.filter { $0.partitionKey == "k\(key)" }.map(\.text)
                        == (0..<numbers).map { QueryEvents.text(key: key, n: $0) }
                )
            }
        }
        let query = QueryEvents.boundedQuery(events)
        let remote = try await boundedRows(query, over: producing, stream: events)
        #expect(remote == QueryEvents.boundedRows(keys: keys, range: 0..<numbers))
        let local = try await withLocalStore(of: server) { store in
            try await boundedRows(query, over: store, stream: events)
        }
        #expect(local == remote)
    }

    /// How many answers `server` gave with error `code`, from its `/metrics`.
    private func errorCount(_ code: String, on server: SpawnedServer) async throws -> Int {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let text: String
        do {
            let response = try await client.execute(
                HTTPClientRequest(url: server.url + "/metrics"),
                timeout: .seconds(10)
            )
            text = String(buffer: try await response.body.collect(upTo: 10 << 20))
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("streamq_kinesis_errors_total") && $0.contains(#"code="\#(code)""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }

    /// Three quick attempts: a dead server is reported within a second.
    static func impatientRetries(_ configuration: inout KinesisClientConfiguration) {
        configuration.retry = RetryBackoff(base: .milliseconds(10), cap: .milliseconds(50), maxAttempts: 3)
        configuration.connectTimeout = .seconds(1)
    }
}
