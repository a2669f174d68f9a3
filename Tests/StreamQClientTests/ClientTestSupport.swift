import Dispatch
import StreamQClient
import StreamQStorage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

func withEngine<T>(
    shards: Int = 4,
    configure: (inout StorageConfiguration) -> Void = { _ in },
    _ body: (StreamQEngine, String) async throws -> T
) async throws -> T {
    var template = Array("/tmp/streamq-client-test-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    defer { _ = system("rm -rf '\(directory)'") }
    var configuration = StorageConfiguration()
    configuration.maintenanceInterval = .seconds(3600)
    configure(&configuration)
    let engine = try StreamQEngine(directory: directory, configuration: configuration)
    try engine.createStream(events, shardCount: shards)
    do {
        let result = try await body(engine, directory)
        try await engine.shutdown()
        return result
    } catch {
        try? await engine.shutdown()
        throw error
    }
}

let events = StreamName(rawValue: "events")!

/// Sends `count` records to `events`, record `n` keyed `key(n)` and holding `text(n)`, and waits
/// until they are stored.
func sendRecords(
    _ count: Int,
    with producer: StreamQProducer,
    key: (Int) -> String,
    text: (Int) -> String
) async throws {
    for n in 0..<count {
        _ = try await producer.send(ProducerRecord(stream: events, partitionKey: key(n), data: text(n)))
    }
    try await producer.flush()
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

extension StoredRecord {
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// "key#n" records: checks that each key's numbers arrive in order, once each, none missing.
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

/// A test backend that changes how appends behave and passes everything else to a real store.
protocol StoreWrappingBackend: StreamBackend {
    var store: StreamStore { get }
}

extension StoreWrappingBackend {
    var numbersRecordsDensely: Bool { true }
    func describeStream(_ name: StreamName) async throws -> StreamDescription { try store.describeStream(name) }
    func cursor(stream name: StreamName, shard: ShardID, at position: StartingPosition) async throws -> ShardCursor {
        try store.cursor(stream: name, shard: shard, at: position)
    }
    func read(_ cursor: ShardCursor, maxRecords: Int, maxBytes: Int) async throws -> ReadResult {
        try store.read(cursor, maxRecords: maxRecords, maxBytes: maxBytes)
    }
    func scan(
        _ cursor: ShardCursor,
        maxRecords: Int,
        maxBytes: Int,
        _ body: (RecordView) throws -> Void
    ) async throws -> ScanResult {
        try store.scan(cursor, maxRecords: maxRecords, maxBytes: maxBytes, body)
    }
    func waitForRecords(at cursor: ShardCursor, timeout: Duration) async throws -> Bool {
        try await store.waitForRecords(at: cursor, timeout: timeout)
    }
}

/// A backend that loses some acknowledgements (stores, then reports a transient failure) and
/// refuses some batches outright, to exercise retries.
final class FlakyBackend: StoreWrappingBackend {
    struct Transient: RetryableError {}
    let store: StreamStore
    private let counter = Atomic<Int>(0)
    init(store: StreamStore) { self.store = store }

    func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        let n = counter.add(1, ordering: .relaxed).newValue
        if n % 7 == 0 {  // refused before storing
            DispatchQueue.global().async { completion(.failure(Transient())) }
            return
        }
        try store.enqueueAppend(to: name, shard: shard, records, producer: producer) { result in
            // Every fifth acknowledgement is lost.
            if n % 5 == 0, case .success = result { completion(.failure(Transient())) } else { completion(result) }
        }
    }
}

/// A backend that holds every acknowledgement until released: a stand-in for a slow store.
final class GatedBackend: StoreWrappingBackend {
    let store: StreamStore
    private let held = Mutex<[@Sendable () -> Void]>([])
    init(store: StreamStore) { self.store = store }

    func release() {
        for completion in held.withLock({ held in
            defer { held = [] }
            return held
        }) { completion() }
    }
    func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        try store.enqueueAppend(to: name, shard: shard, records, producer: producer) { result in
            self.held.withLock { $0.append { completion(result) } }
        }
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// A value tasks share behind a lock.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
