import StreamQClient
import StreamQRemote
import StreamQStorage
import Synchronization
import Testing

/// Runs `body` with a ``KinesisBackend`` over a client for `server`, adjusted by `configure`.
func withBackend<T>(
    _ server: SpawnedServer,
    configure: (inout KinesisClientConfiguration) -> Void = { _ in },
    _ body: (KinesisBackend) async throws -> T
) async throws -> T {
    var configuration = try server.configuration()
    configure(&configuration)
    return try await withClient(configuration) { client in try await body(KinesisBackend(client: client)) }
}

/// Creates `name` with `shards` shards through the backend's client and waits until it is ACTIVE.
func createStream(_ name: StreamName, shards: Int, on backend: KinesisBackend) async throws {
    try await backend.client.createStream(name: name.rawValue, shardCount: shards)
    _ = try await backend.client.waitUntilActive(.name(name.rawValue))
}

/// Sends `"k<key>#<n>"` to partition key `k<key>` for every key and every `n` in `range`.
func sendKeyed(_ producer: StreamQProducer, to stream: StreamName, keys: Int, range: Range<Int>) async throws {
    for n in range {
        for key in 0..<keys {
            _ = try await producer.send(ProducerRecord(stream: stream, partitionKey: "k\(key)", data: "k\(key)#\(n)"))
        }
    }
}

/// Runs `consumer` and collects what it delivers until `run()` returns (bounded mode).
func collect(_ consumer: StreamQConsumer) async throws -> [StoredRecord] {
    try await withThrowingTaskGroup(of: [StoredRecord].self) { tasks in
        tasks.addTask {
            try await consumer.run()
            return []
        }
        tasks.addTask {
            var all: [StoredRecord] = []
            for try await record in consumer.records { all.append(record) }
            return all
        }
        return try await tasks.reduce(into: []) { $0 += $1 }
    }
}

/// Reads every record of `stream` with a lone consumer, from the trim horizon to the tip.
func readAllRecords(_ backend: KinesisBackend, _ stream: StreamName) async throws -> [StoredRecord] {
    try await collect(StreamQConsumer(backend: backend, configuration: .init(stream: stream), groupsDirectory: nil))
}

extension StoredRecord {
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// `"k<key>#<n>"` records: checks that each key's numbers arrive in order, once each, none missing.
func expectPerKeyOrder(
    _ records: [StoredRecord],
    keys: Int,
    perKey: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var seen: [String: [Int]] = [:]
    for record in records {
        let parts = record.text.split(separator: "#")
        seen[String(parts[0]), default: []].append(Int(parts[1])!)
    }
    #expect(seen.count == keys, sourceLocation: sourceLocation)
    for (key, numbers) in seen {
        #expect(numbers == Array(0..<perKey), "\(key): \(numbers.prefix(20))…", sourceLocation: sourceLocation)
    }
}

/// State that a test's tasks share.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
