import StreamQClient
import StreamQStorage
import Synchronization
import Testing

@Suite struct ProducerTests {
    @Test func singleRecordSendsAreBatchedStoredOnceAndInKeyOrder() async throws {
        try await withEngine { engine, _ in
            let producer = engine.makeProducer()
            var handles: [SendHandle] = []
            for n in 0..<200 {
                for key in 0..<20 {
                    handles.append(
                        try await producer.send(
                            ProducerRecord(stream: events, partitionKey: "k\(key)", data: "k\(key)#\(n)")
                        )
                    )
                }
            }
            try await producer.flush()
            let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
                for handle in handles.prefix(50) { group.addTask { try await handle.acknowledgement() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.sequenceNumber)).count == 50)
            let stored = try await collect(try engine.makeConsumer(configuration: .init(stream: events)))
            #expect(stored.count == 4000)
            expectPerKeyOrder(stored, keys: 20, perKey: 200)
            let ack = try await producer.sendAndWait(ProducerRecord(stream: events, partitionKey: "x", data: "x#0"))
            #expect(ack.sequenceNumber.shard == ack.shard)
        }
    }

    @Test func perKeyOrderHoldsAcrossSplitsAndMergesUnderConcurrentProducers() async throws {
        try await withEngine(shards: 2) { engine, _ in
            let keys = 12
            let perKey = 600
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for worker in 0..<3 {
                    tasks.addTask {
                        let producer = engine.makeProducer()
                        for n in 0..<perKey {
                            for key in stride(from: worker, to: keys, by: 3) {
                                _ = try await producer.send(
                                    ProducerRecord(stream: events, partitionKey: "key\(key)", data: "key\(key)#\(n)")
                                )
                            }
                            if n % 50 == 0 { await Task.yield() }
                        }
                        try await producer.flush()
                    }
                }
                tasks.addTask {
                    try await Task.sleep(for: .milliseconds(20))
                    try await engine.updateShardCount(events, target: 4)
                    try await Task.sleep(for: .milliseconds(20))
                    try await engine.updateShardCount(events, target: 3)
                    try await engine.updateShardCount(events, target: 1)
                }
                try await tasks.waitForAll()
            }
            #expect(try engine.describeStream(events).shards.count > 2, "reshards happened")
            let stored = try await collect(try engine.makeConsumer(configuration: .init(stream: events)))
            #expect(stored.count == keys * perKey)
            expectPerKeyOrder(stored, keys: keys, perKey: perKey)
        }
    }

    @Test func retriesAfterLostAcknowledgementsStoreNothingTwice() async throws {
        try await withEngine(shards: 2) { engine, _ in
            var configuration = StreamQProducerConfiguration()
            configuration.maxBatchRecords = 10
            configuration.initialBackoff = .milliseconds(1)
            configuration.maxAttempts = 50
            let producer = StreamQProducer(backend: FlakyBackend(store: engine.store), configuration: configuration)
            for n in 0..<300 {
                for key in 0..<4 {
                    _ = try await producer.send(
                        ProducerRecord(stream: events, partitionKey: "k\(key)", data: "k\(key)#\(n)")
                    )
                }
            }
            try await producer.flush()
            let stored = try await collect(try engine.makeConsumer(configuration: .init(stream: events)))
            #expect(stored.count == 1200, "no duplicates and nothing lost")
            expectPerKeyOrder(stored, keys: 4, perKey: 300)
        }
    }

    @Test func aFullBufferSuspendsSendInsteadOfGrowing() async throws {
        try await withEngine(shards: 1) { engine, _ in
            let backend = GatedBackend(store: engine.store)
            var configuration = StreamQProducerConfiguration()
            configuration.maxBufferedBytes = 64 * 1024
            configuration.maxBatchRecords = 50
            let producer = StreamQProducer(backend: backend, configuration: configuration)
            let record = [UInt8](repeating: 0x61, count: 1000)
            let sent = Counter()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for n in 0..<1000 {
                        _ = try await producer.send(ProducerRecord(stream: events, partitionKey: "k\(n)", data: record))
                        sent.value.add(1, ordering: .relaxed)
                    }
                }
                // Nothing is acknowledged yet: the producer may hold at most ~64 KiB of records. The
                // sender fills it as fast as the machine lets it, then must stay suspended.
                let deadline = ContinuousClock.now + .seconds(20)
                while sent.value.load(ordering: .relaxed) < 60, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                let buffered = sent.value.load(ordering: .relaxed)
                #expect(buffered <= 66, "sent \(buffered) records of 1 KB with a 64 KiB bound")
                #expect(buffered >= 60, "the bound is used, not undershot")
                tasks.addTask {  // the slow store catches up
                    while !Task.isCancelled {
                        backend.release()
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                }
                try await tasks.next()  // all sends returned
                try await producer.flush()
                tasks.cancelAll()
            }
            let stored = try await collect(try engine.makeConsumer(configuration: .init(stream: events)))
            #expect(stored.count == 1000)
        }
    }
}
