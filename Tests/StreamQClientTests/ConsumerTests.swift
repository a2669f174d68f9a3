import Foundation
import StreamQClient
import StreamQStorage
import Synchronization
import Testing

@Suite struct ConsumerTests {
    @Test func followModeDeliversNewRecordsAndFollowsAReshard() async throws {
        try await withEngine(shards: 1) { engine, _ in
            var configuration = StreamQConsumerConfiguration(stream: events)
            configuration.follow = true
            let consumer = try engine.makeConsumer(configuration: configuration)
            let producer = engine.makeProducer()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await consumer.run() }
                var iterator = consumer.records.makeAsyncIterator()
                _ = try await producer.sendAndWait(ProducerRecord(stream: events, partitionKey: "k", data: "k#0"))
                #expect(try await iterator.next()?.text == "k#0")

                try await engine.splitShard(events, shard: ShardID(0), newStartingHashKey: HashKey(1) << 127)
                for n in 1..<20 {
                    _ = try await producer.send(ProducerRecord(stream: events, partitionKey: "k", data: "k#\(n)"))
                }
                try await producer.flush()
                var texts: [String] = []
                for _ in 1..<20 { texts.append(try await iterator.next()?.text ?? "") }
                #expect(texts == (1..<20).map { "k#\($0)" })
                consumer.stop()
                try await tasks.waitForAll()
            }
        }
    }

    @Test func startingAtLatestSkipsHistory() async throws {
        try await withEngine(shards: 2) { engine, _ in
            let producer = engine.makeProducer()
            try await sendRecords(10, with: producer, key: { "k\($0)" }, text: { "old#\($0)" })
            var configuration = StreamQConsumerConfiguration(stream: events)
            configuration.startingPosition = .latest
            #expect(try await collect(try engine.makeConsumer(configuration: configuration)).isEmpty)
        }
    }

    /// Members leave when they stop, so no test waits for a lease to run out unless it says so; a
    /// long lease keeps a test process stalled by a loaded machine from handing shards over mid-test.
    func groupConfiguration(
        _ name: String,
        member: String,
        autoCommit: Bool = true,
        leaseDuration: Duration = .seconds(30)
    ) -> StreamQConsumerConfiguration {
        var configuration = StreamQConsumerConfiguration(stream: events)
        var group = ConsumerGroupConfiguration(name: name, memberID: member)
        group.renewInterval = .milliseconds(100)
        group.leaseDuration = leaseDuration
        if !autoCommit { group.autoCommit = nil }
        configuration.group = group
        return configuration
    }

    @Test func aRestartedGroupContinuesAfterItsCheckpoint() async throws {
        try await withEngine(shards: 3) { engine, _ in
            let producer = engine.makeProducer()
            for n in 0..<30 {
                _ = try await producer.send(
                    ProducerRecord(stream: events, partitionKey: "k\(n % 5)", data: "k\(n % 5)#\(n / 5)")
                )
            }
            try await producer.flush()
            let first = try await collect(
                try engine.makeConsumer(configuration: groupConfiguration("billing", member: "a"))
            )
            #expect(first.count == 30)
            #expect(
                try await collect(try engine.makeConsumer(configuration: groupConfiguration("billing", member: "a")))
                    .isEmpty
            )
            for n in 30..<40 {
                _ = try await producer.send(
                    ProducerRecord(stream: events, partitionKey: "k\(n % 5)", data: "k\(n % 5)#\(n / 5)")
                )
            }
            try await producer.flush()
            let second = try await collect(
                try engine.makeConsumer(configuration: groupConfiguration("billing", member: "b"))
            )
            expectPerKeyOrder(first + second, keys: 5, perKey: 8)
            // Another group starts from the beginning on its own.
            #expect(
                try await collect(try engine.makeConsumer(configuration: groupConfiguration("audit", member: "a")))
                    .count == 40
            )

            let described = try engine.describeGroup(events, group: "billing")
            #expect(described.shards.allSatisfy { $0.lagRecords == 0 })
            #expect(try engine.listGroups(events).sorted() == ["audit", "billing"])
        }
    }

    @Test func uncommittedRecordsAreDeliveredAgainAfterACrashAndNothingIsSkipped() async throws {
        try await withEngine(shards: 1) { engine, _ in
            let producer = engine.makeProducer()
            try await sendRecords(20, with: producer, key: { _ in "k" }, text: { "k#\($0)" })
            let consumer = try engine.makeConsumer(
                configuration: groupConfiguration("jobs", member: "a", autoCommit: false)
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await consumer.run() }
                var iterator = consumer.records.makeAsyncIterator()
                for n in 0..<12 {
                    let record = try #require(try await iterator.next())
                    #expect(record.text == "k#\(n)")
                    if n == 7 { try await consumer.commit(record) }  // processed 0...7, then "crash" while doing 8...11
                }
                consumer.stop()
                tasks.cancelAll()
                try? await tasks.waitForAll()
            }
            let again = try await collect(
                try engine.makeConsumer(configuration: groupConfiguration("jobs", member: "b"))
            )
            #expect(again.map(\.text) == (8..<20).map { "k#\($0)" })
        }
    }

    @Test func membersShareShardsWithoutOverlapAndCoverThemAll() async throws {
        try await withEngine(shards: 4) { engine, _ in
            let producer = engine.makeProducer()
            let seen = Shared<[String: Set<ShardID>]>([:])
            let members = ["m1", "m2"]
            var consumers: [StreamQConsumer] = []
            for member in members {
                var configuration = groupConfiguration("shared", member: member)
                configuration.follow = true
                consumers.append(try engine.makeConsumer(configuration: configuration))
            }
            let total = Counter()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for (member, consumer) in zip(members, consumers) {
                    tasks.addTask { try await consumer.run() }
                    tasks.addTask {
                        for try await record in consumer.records {
                            seen.value.withLock { _ = $0[member, default: []].insert(record.sequenceNumber.shard) }
                            total.value.add(1, ordering: .relaxed)
                        }
                    }
                }
                // Both members hold leases at once, two shards each, disjoint.
                var balanced = false
                for _ in 0..<100 {
                    try await Task.sleep(for: .milliseconds(50))
                    let group = try engine.describeGroup(events, group: "shared")
                    let owners = group.shards.compactMap(\.owner)
                    if owners.count == 4 && Set(owners) == Set(members)
                        && members.allSatisfy({ m in owners.filter { $0 == m }.count == 2 })
                    {
                        balanced = true
                        break
                    }
                }
                #expect(balanced, "four shards split two and two between the members")
                // Records written now are read by exactly one member per shard.
                for n in 0..<400 {
                    _ = try await producer.send(
                        ProducerRecord(stream: events, partitionKey: "k\(n % 40)", data: "k\(n % 40)#\(n / 40)")
                    )
                }
                try await producer.flush()
                while total.value.load(ordering: .relaxed) < 400 { try await Task.sleep(for: .milliseconds(20)) }
                let shards = seen.value.withLock { $0 }
                #expect(shards["m1", default: []].isDisjoint(with: shards["m2", default: []]))
                #expect(shards.values.reduce(into: Set<ShardID>()) { $0.formUnion($1) }.count == 4)

                // One member leaves: the other takes every shard.
                consumers[0].stop()
                var tookOver = false
                for _ in 0..<100 {
                    try await Task.sleep(for: .milliseconds(50))
                    if try engine.describeGroup(events, group: "shared").shards.allSatisfy({ $0.owner == "m2" }) {
                        tookOver = true
                        break
                    }
                }
                #expect(tookOver)
                consumers[1].stop()
                try await tasks.waitForAll()
            }
            #expect(total.value.load(ordering: .relaxed) >= 400)
        }
    }

    /// The boot clock restarts at a reboot, so a lease recorded before one could look valid for as
    /// long as the machine had been up: leases of another boot are dropped, which needs this boot's
    /// id (read by size, a /proc file gave "" on every boot).
    @Test func leasesFromAnotherBootAreNotHonoured() async throws {
        try await withEngine(shards: 1) { engine, directory in
            let producer = engine.makeProducer()
            try await sendRecords(20, with: producer, key: { _ in "k" }, text: { "k#\($0)" })
            let group = directory + "/streams/events/groups/rebooted"
            try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: true)
            let farAhead = Int64(1) << 50
            let state = """
                {"bootID":"a-previous-boot","initialized":true,\
                "members":{"ghost":{"heartbeat":\(farAhead),"expiry":\(farAhead)}},\
                "shards":{"shardId-000000000000":{"owner":"ghost","counter":1,"expiry":\(farAhead),"ended":false}}}
                """
            try Data(state.utf8).write(to: URL(fileURLWithPath: group + "/state.json"))

            let read = try await collect(
                try engine.makeConsumer(configuration: groupConfiguration("rebooted", member: "m"))
            )
            #expect(read.map(\.text) == (0..<20).map { "k#\($0)" })
            let thisBoot = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let saved = try String(contentsOfFile: group + "/state.json", encoding: .utf8)
            #expect(saved.contains(#""bootID":"\#(thisBoot)""#), "\(saved)")
        }
    }

    /// Members may be configured with different leases: one renewing often with a short lease must
    /// not count a member with a longer lease as gone between that member's renewals.
    @Test func aMemberWithAShortLeaseDoesNotDropOneWithALongerLease() async throws {
        try await withEngine(shards: 4) { engine, _ in
            var short = groupConfiguration("mixed", member: "short", leaseDuration: .milliseconds(300))
            short.follow = true
            var long = groupConfiguration("mixed", member: "long")
            long.group?.renewInterval = .seconds(1)
            long.follow = true
            let members = [try engine.makeConsumer(configuration: short), try engine.makeConsumer(configuration: long)]
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for member in members {
                    tasks.addTask { try await member.run() }
                    tasks.addTask { for try await _ in member.records {} }
                }
                func owned(by member: String) throws -> Int {
                    try engine.describeGroup(events, group: "mixed").shards.filter { $0.owner == member }.count
                }
                var balanced = false
                for _ in 0..<200 where !balanced {
                    try await Task.sleep(for: .milliseconds(50))
                    balanced = try owned(by: "long") == 2 && owned(by: "short") == 2
                }
                #expect(balanced, "two shards each")
                // Several of the long member's renewal intervals, each longer than the short lease.
                var fewest = 2
                for _ in 0..<60 {
                    try await Task.sleep(for: .milliseconds(50))
                    fewest = min(fewest, try owned(by: "long"))
                }
                #expect(fewest == 2, "the member with the 30 s lease lost shards it held")
                for member in members { member.stop() }
                try await tasks.waitForAll()
            }
        }
    }

    /// A member stalled past its lease (here: renewing less often than its lease lasts) must not hand
    /// over records of shards another member took meanwhile, or both would process them.
    @Test func aMemberWhoseLeaseRanOutDeliversNothingTheNewOwnerReads() async throws {
        try await withEngine(shards: 2) { engine, _ in
            var lagging = groupConfiguration("stall", member: "lagging", leaseDuration: .milliseconds(500))
            lagging.group?.renewInterval = .seconds(4)
            lagging.follow = true
            var live = groupConfiguration("stall", member: "live")
            live.follow = true
            let laggingMember = try engine.makeConsumer(configuration: lagging)
            let liveMember = try engine.makeConsumer(configuration: live)
            let received = Shared<[String: [String]]>([:])
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for (name, member) in [("lagging", laggingMember), ("live", liveMember)] {
                    tasks.addTask { try await member.run() }
                    tasks.addTask {
                        for try await record in member.records {
                            received.value.withLock { $0[name, default: []].append(record.text) }
                        }
                    }
                    if name == "lagging" {  // let it take both shards before the other member joins
                        var held = false
                        for _ in 0..<100 where !held {
                            try await Task.sleep(for: .milliseconds(20))
                            held = try engine.describeGroup(events, group: "stall").shards.allSatisfy {
                                $0.owner == "lagging"
                            }
                        }
                    }
                }
                // The lagging member's leases run out after 0.5 s; the live member takes both shards.
                var takenOver = false
                for _ in 0..<150 where !takenOver {
                    try await Task.sleep(for: .milliseconds(20))
                    takenOver = try engine.describeGroup(events, group: "stall").shards.allSatisfy {
                        $0.owner == "live"
                    }
                }
                #expect(takenOver)
                let producer = engine.makeProducer()
                try await sendRecords(100, with: producer, key: { "k\($0)" }, text: { "r\($0)" })
                for _ in 0..<250 where received.value.withLock({ $0["live", default: []].count }) < 100 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                // Until the lagging member's next renewal (4 s after its first), which finds the shards
                // taken, and a moment for it to drop what it read; before the one after it, which may
                // take a shard the live member gives back to balance the group.
                var renewedAgain = false
                for _ in 0..<500 where !renewedAgain {
                    try await Task.sleep(for: .milliseconds(20))
                    renewedAgain = try engine.describeGroup(events, group: "stall").members.contains("lagging")
                }
                try await Task.sleep(for: .milliseconds(300))
                let (lagged, liveRead) = received.value.withLock {
                    ($0["lagging", default: []], $0["live", default: []])
                }
                #expect(Set(liveRead) == Set((0..<100).map { "r\($0)" }))
                #expect(lagged.isEmpty, "the member that lost its leases handed over \(lagged.count) records")
                laggingMember.stop()
                liveMember.stop()
                try await tasks.waitForAll()
            }
        }
    }
}
