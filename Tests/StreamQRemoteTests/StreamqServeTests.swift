import StreamQAWS
import StreamQRemote
import Testing

/// The client against a real `streamq serve` child process (build it first:
/// `swift build --product streamq`).
@Suite(.timeLimit(.minutes(3))) struct StreamqServeTests {
    @Test func createsListsAndDescribesStreams() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "orders", shardCount: 3)
                try await client.createStream(name: "clicks", shardCount: nil)
                let summary = try await client.waitUntilActive(.name("orders"))
                #expect(summary.name == "orders")
                #expect(summary.openShardCount == 3)
                #expect(summary.retentionPeriodHours == 24)
                #expect(summary.arn.hasSuffix(":stream/orders"))
                #expect(try await client.describeStreamSummary(.name("clicks")).mode == "ON_DEMAND")
                #expect(Set(try await client.listStreams()) == ["orders", "clicks"])
                // ListShards in pages of one follows NextToken with nothing else but MaxResults.
                let shards = try await client.listShards(.arn(summary.arn), pageSize: 1)
                #expect(
                    shards.map(\.shardID) == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
                )
                #expect(shards.filter(\.isOpen).count == 3)
                #expect(shards.first?.startingHashKey == "0")
                #expect(shards.last?.endingHashKey == String(UInt128.max))
                let afterFirst = try await client.listShards(
                    .name("orders"),
                    filter: .afterShardID("shardId-000000000000")
                )
                #expect(afterFirst.count == 2)
                try await client.deleteStream(.name("clicks"))
                #expect(try await client.listStreams().contains("clicks") == false)
            }
        }
    }

    @Test func decodesServiceErrorsWithoutRetrying() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                let error = try await #require(throws: KinesisClientError.self) {
                    try await client.describeStreamSummary(.name("missing"))
                }
                #expect(error.code == "ResourceNotFoundException")
                #expect(error.serviceError?.httpStatus == 400)
                #expect(error.serviceError?.message.contains("missing") == true)
                #expect(error.attempts == 1)
                #expect(error.operation == "DescribeStreamSummary")
            }
        }
    }

    /// `streamq serve` answers the client's probe in CBOR, so records travel as raw bytes; a
    /// client fixed to either encoding puts and reads the same records.
    @Test func talksCBORWhenTheServerDoesAndEitherEncodingWhenAsked() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                #expect(await client.requestEncoding() == .cbor)
                try await client.createStream(name: "events", shardCount: 1)
                _ = try await client.waitUntilActive(.name("events"))
            }
            for encoding in [KinesisClientConfiguration.BodyEncoding.json, .cbor] {
                var configuration = try server.configuration()
                configuration.bodyEncoding = encoding
                try await withClient(configuration) { client in
                    let stream = KinesisStreamReference.name("events")
                    let records = Self.records(range: 0..<300) + [PutRecordsEntry(data: [0, 255], partitionKey: "é")]
                    let stored = try await client.putRecordsReliably(stream: stream, records: records)
                    let shard = try #require(stored.first?.shardID)
                    let iterator = try await client.getShardIterator(
                        stream,
                        shardID: shard,
                        position: .atSequenceNumber(stored[0].sequenceNumber)
                    )
                    let read = try await client.getRecords(iterator: iterator, limit: 10_000)
                    #expect(read.records.map(\.data) == records.map(\.data), "\(encoding)")
                    #expect(read.records.map(\.partitionKey) == records.map(\.partitionKey), "\(encoding)")
                    #expect(read.records.map(\.sequenceNumber) == stored.map(\.sequenceNumber), "\(encoding)")
                }
            }
        }
    }

    @Test func putsReliablyAndReadsEveryShardInOrderThroughASplit() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "events", shardCount: 2)
                let stream = KinesisStreamReference.name("events")
                let first = Self.records(range: 0..<1500)
                let firstStored = try await client.putRecordsReliably(stream: stream, records: first)
                #expect(firstStored.count == first.count)

                let parent = try #require(try await client.listShards(stream).first)
                let start = try #require(UInt128(parent.startingHashKey))
                let end = try #require(UInt128(parent.endingHashKey))
                try await client.splitShard(
                    stream,
                    shardID: parent.shardID,
                    newStartingHashKey: String(start + (end - start) / 2)
                )
                _ = try await client.waitUntilActive(stream)
                let second = Self.records(range: 1500..<3000)
                let secondStored = try await client.putRecordsReliably(stream: stream, records: second)

                let reads = try await readAll(client, stream)
                #expect(reads.childrenByParent[parent.shardID]?.count == 2)
                let read = reads.records
                #expect(read.count == 3000)
                let storedNumbers = Set((firstStored + secondStored).map(\.sequenceNumber))
                #expect(Set(read.map(\.sequenceNumber)) == storedNumbers)
                // Per partition key, the records come back in the order they were put.
                var perKey: [String: [Int]] = [:]
                for record in read {
                    perKey[record.partitionKey, default: []].append(Int(String(decoding: record.data, as: UTF8.self))!)
                }
                for (key, numbers) in perKey {
                    #expect(numbers == numbers.sorted(), "key \(key) out of order")
                }
                #expect(perKey.values.reduce(0) { $0 + $1.count } == 3000)
            }
        }
    }

    /// Producers keep putting while a shard splits under them: records routed to the parent as it
    /// closes are stored in a child instead, none twice, each key's in order.
    @Test func putsRacingASplitAreStoredOnceAndInOrder() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "racing", shardCount: 2)
                let stream = KinesisStreamReference.name("racing")
                let parent = try #require(try await client.listShards(stream).first)
                let start = try #require(UInt128(parent.startingHashKey))
                let end = try #require(UInt128(parent.endingHashKey))
                let (producers, batches, batch) = (4, 30, 100)
                let stored = try await withThrowingTaskGroup(of: Int.self) { group in
                    for producer in 0..<producers {
                        group.addTask {
                            var stored = 0
                            for number in 0..<batches {
                                let first = (producer * batches + number) * batch
                                let entries = (first..<first + batch).map {
                                    PutRecordsEntry(
                                        data: Array(String($0).utf8),
                                        partitionKey: "p\(producer)-\($0 % 13)"
                                    )
                                }
                                stored += try await client.putRecordsReliably(stream: stream, records: entries).count
                            }
                            return stored
                        }
                    }
                    try await client.splitShard(
                        stream,
                        shardID: parent.shardID,
                        newStartingHashKey: String(start + (end - start) / 2)
                    )
                    return try await group.reduce(0, +)
                }
                #expect(stored == producers * batches * batch)
                let read = try await readAll(client, stream).records
                #expect(read.count == stored)
                #expect(Set(read.map(\.sequenceNumber)).count == stored)
                var perKey: [String: [Int]] = [:]
                for record in read {
                    perKey[record.partitionKey, default: []].append(Int(String(decoding: record.data, as: UTF8.self))!)
                }
                for (key, numbers) in perKey {
                    #expect(numbers == numbers.sorted(), "key \(key) out of order")
                }
                #expect(Set(perKey.values.joined()) == Set(0..<stored))
            }
        }
    }

    @Test func readsFromEveryIteratorType() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "positions", shardCount: 1)
                let stream = KinesisStreamReference.name("positions")
                let shard = "shardId-000000000000"
                let stored = try await client.putRecordsReliably(stream: stream, records: Self.records(range: 0..<10))
                func read(_ position: ShardPosition) async throws -> [String] {
                    let iterator = try await client.getShardIterator(stream, shardID: shard, position: position)
                    return try await client.getRecords(iterator: iterator, limit: 100).records.map {
                        String(decoding: $0.data, as: UTF8.self)
                    }
                }
                #expect(try await read(.trimHorizon) == (0..<10).map(String.init))
                #expect(try await read(.atSequenceNumber(stored[4].sequenceNumber)) == (4..<10).map(String.init))
                #expect(try await read(.afterSequenceNumber(stored[4].sequenceNumber)) == (5..<10).map(String.init))
                #expect(try await read(.atTimestamp(milliseconds: 0)) == (0..<10).map(String.init))
                let latest = try await client.getShardIterator(stream, shardID: shard, position: .latest)
                _ = try await client.putRecordsReliably(stream: stream, records: Self.records(range: 10..<12))
                let afterLatest = try await client.getRecords(iterator: latest)
                #expect(afterLatest.records.map { String(decoding: $0.data, as: UTF8.self) } == ["10", "11"])
                #expect(afterLatest.nextShardIterator != nil)
                #expect(afterLatest.childShards.isEmpty)
            }
        }
    }

    @Test func mergesAndScalesShards() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "scaling", shardCount: 2)
                let stream = KinesisStreamReference.name("scaling")
                try await client.mergeShards(
                    stream,
                    shardID: "shardId-000000000000",
                    adjacentShardID: "shardId-000000000001"
                )
                _ = try await client.waitUntilActive(stream)
                let open = try await client.listShards(stream, filter: .atLatest)
                #expect(open.count == 1)
                #expect(open.first?.parentShardID == "shardId-000000000000")
                #expect(open.first?.adjacentParentShardID == "shardId-000000000001")
                let scaled = try await client.updateShardCount(stream, targetShardCount: 2)
                #expect(scaled.currentShardCount == 1 && scaled.targetShardCount == 2)
                _ = try await client.waitUntilActive(stream)
                #expect(try await client.listShards(stream, filter: .atLatest).count == 2)
                #expect(try await client.describeStreamSummary(stream).openShardCount == 2)
            }
        }
    }

    @Test func signsRequestsThatTheServerVerifies() async throws {
        let files = ["credentials": "AKIDTEST test-secret\n"]
        try await withStreamqServer(["--credentials", "{scratch}/credentials"], files: files) { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "signed", shardCount: 1)
                #expect(try await client.listStreams() == ["signed"])
            }
            let wrong = SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "not-the-secret")
            try await withClient(try server.configuration(credentials: wrong)) { client in
                let error = try await #require(throws: KinesisClientError.self) { try await client.listStreams() }
                #expect(error.code == "InvalidSignatureException")
                #expect(error.attempts == 1)
            }
        }
    }

    @Test func throttledPutsStoreEverythingExactlyOnce() async throws {
        try await withStreamqServer(["--shard-limits", "aws"]) { server in
            var configuration = try server.configuration()
            // 2,500 records into one shard at AWS's 1,000 records/s take a few seconds of re-drives.
            configuration.retry = RetryBackoff(base: .milliseconds(50), cap: .seconds(1), maxAttempts: 30)
            try await withClient(configuration) { client in
                try await client.createStream(name: "limited", shardCount: 1)
                let stream = KinesisStreamReference.name("limited")
                let records = Self.records(range: 0..<2500)
                let stored = try await client.putRecordsReliably(stream: stream, records: records)
                #expect(Set(stored.map(\.sequenceNumber)).count == records.count)
                let read = try await readAll(client, stream).records
                #expect(read.count == records.count)
                #expect(Set(read.map(\.data)) == Set(records.map(\.data)))
            }
        }
    }

    @Test func subscribesToAShard() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "fanout", shardCount: 1)
                let summary = try await client.waitUntilActive(.name("fanout"))
                let registered = try await client.registerStreamConsumer(streamARN: summary.arn, consumerName: "reader")
                var consumer = try await client.describeStreamConsumer(consumerARN: registered.arn)
                while consumer.status != "ACTIVE" {
                    try await Task.sleep(for: .milliseconds(50))
                    consumer = try await client.describeStreamConsumer(streamARN: summary.arn, consumerName: "reader")
                }
                let records = Self.records(range: 0..<100)
                _ = try await client.putRecordsReliably(stream: .name("fanout"), records: records)
                let events = try await client.subscribeToShard(
                    consumerARN: consumer.arn,
                    shardID: "shardId-000000000000",
                    startingPosition: .trimHorizon
                )
                var received: [KinesisRecord] = []
                var lastContinuation: String?
                for try await event in events {
                    received += event.records
                    lastContinuation = event.continuationSequenceNumber
                    if received.count >= records.count { break }
                }
                #expect(received.map(\.data) == records.map(\.data))
                #expect(lastContinuation != nil)
            }
        }
    }

    /// Records `"<n>"` with partition keys `key-<n % 37>`.
    static func records(range: Range<Int>) -> [PutRecordsEntry] {
        range.map { PutRecordsEntry(data: Array(String($0).utf8), partitionKey: "key-\($0 % 37)") }
    }
}

/// Every record of a stream, each shard read from TRIM_HORIZON to its end (closed shards, to
/// `NextShardIterator == nil`) or to the tip (open shards), parents before children.
func readAll(
    _ client: KinesisClient,
    _ stream: KinesisStreamReference
) async throws -> (records: [KinesisRecord], childrenByParent: [String: [String]]) {
    let shards = try await client.listShards(stream)
    var records: [KinesisRecord] = []
    var childrenByParent: [String: [String]] = [:]
    for shard in shards {
        var iterator: String? = try await client.getShardIterator(
            stream,
            shardID: shard.shardID,
            position: .trimHorizon
        )
        while let current = iterator {
            let output = try await client.getRecords(iterator: current)
            records += output.records
            if output.nextShardIterator == nil {
                childrenByParent[shard.shardID] = output.childShards.map(\.shardID)
                for child in output.childShards { #expect(child.parentShards.contains(shard.shardID)) }
            }
            iterator = output.nextShardIterator
            if shard.isOpen && output.records.isEmpty && output.millisBehindLatest == 0 { break }
        }
    }
    return (records, childrenByParent)
}
