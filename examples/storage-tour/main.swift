// A complete small program using streamq as a library: open a data directory, create a stream,
// append records, read them back from every shard, split a shard, and close.
//
//     swift run storage-tour /tmp/tour-data
import StreamQStorage

let directory = CommandLine.arguments.dropFirst().first ?? "./tour-data"
let store = try StreamStore(directory: directory)
let clicks = try StreamName(validating: "clicks")
if try !store.listStreams().contains(clicks) {
    try store.createStream(clicks, shardCount: 2, retention: .seconds(24 * 3600))
}

// Records with the same partition key go to the same shard, in order.
let results = try await store.append(
    to: clicks,
    (1...6).map { AppendRecord(partitionKey: "user-\($0 % 3)", data: #"{"user":"user-\#($0 % 3)","click":\#($0)}"#) }
)
for result in results { print("stored in \(result.shard) as \(result.sequenceNumber)") }

// Read every shard from its trim horizon.
for shard in try store.describeStream(clicks).shards {
    var cursor: ShardCursor? = try store.cursor(stream: clicks, shard: shard.id, at: .trimHorizon)
    while let current = cursor {
        let batch = try store.read(current, maxRecords: 100)
        for record in batch.records {
            print(shard.id, record.partitionKey, String(decoding: record.data, as: UTF8.self))
        }
        if batch.records.isEmpty { break }
        cursor = batch.next
    }
}

// Split the first open shard in the middle of its hash-key range.
if let shard = try store.describeStream(clicks).openShards.first {
    let range = shard.hashKeyRange
    let children = try await store.splitShard(
        clicks,
        shard: shard.id,
        newStartingHashKey: range.start + (range.end - range.start) / 2 + 1
    )
    print("split \(shard.id) into \(children)")
}
try await store.close()
