// The client library: an engine (a Service), a producer that batches single-record sends, and a
// consumer-group member that reads every shard and checkpoints its progress.
//
//     swift run producer-consumer /tmp/clicks-data
import StreamQClient
import StreamQStorage

let directory = CommandLine.arguments.dropFirst().first ?? "./clicks-data"
let engine = try StreamQEngine(directory: directory)
let clicks = try StreamName(validating: "clicks")
if try !engine.listStreams().contains(clicks) { try engine.createStream(clicks, shardCount: 4) }

// Sends return at once; batches go out per shard when full or 5 ms after their first record.
let producer = engine.makeProducer()
for n in 0..<1000 {
    _ = try await producer.send(
        ProducerRecord(stream: clicks, partitionKey: "user-\(n % 10)", data: #"{"click":\#(n)}"#)
    )
}
let ack = try await producer.sendAndWait(
    ProducerRecord(stream: clicks, partitionKey: "user-0", data: #"{"click":"last"}"#)
)
print("last click stored in \(ack.shard) as \(ack.sequenceNumber)")
try await producer.flush()

// A group member: run it, iterate its records; each run continues after the previous checkpoint.
var configuration = StreamQConsumerConfiguration(stream: clicks)
configuration.group = ConsumerGroupConfiguration(name: "billing")
let consumer = try engine.makeConsumer(configuration: configuration)
let count = try await withThrowingTaskGroup(of: Int.self) { tasks in
    tasks.addTask {
        try await consumer.run()
        return 0
    }
    tasks.addTask {
        var count = 0
        for try await _ in consumer.records { count += 1 }
        return count
    }
    var total = 0
    for try await partial in tasks { total += partial }
    return total
}
print("group billing read \(count) new records")
for shard in try engine.describeGroup(clicks, group: "billing").shards {
    print(shard.shard, "checkpoint", shard.checkpoint.map(String.init) ?? "-", "lag", shard.lagRecords)
}
try await engine.shutdown()
