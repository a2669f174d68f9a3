import Synchronization
import Testing

@testable import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed when the test's closure returns.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    var template = Array("/tmp/streamq-test-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    defer { try? FileSystem.removeTree(path) }
    return try await body(path)
}

/// A wall clock the test moves by hand.
final class ManualClock: WallClock {
    private let now: Atomic<Int64>
    init(_ start: Int64 = 1_767_225_600_000) { now = Atomic(start) }
    func nowMilliseconds() -> Int64 { now.load(ordering: .relaxed) }
    func set(_ value: Int64) { now.store(value, ordering: .relaxed) }
    func advance(by milliseconds: Int64) { now.add(milliseconds, ordering: .relaxed) }
}

extension StorageConfiguration {
    static func forTesting(
        clock: ManualClock? = nil,
        fsync: FsyncPolicy = .always,
        segmentBytes: Int = 128 << 20
    ) -> Self {
        var configuration = StorageConfiguration()
        if let clock { configuration.clock = clock }
        configuration.fsyncPolicy = fsync
        configuration.segmentBytes = segmentBytes
        configuration.maintenanceInterval = .seconds(3600)
        return configuration
    }
}

func records(_ count: Int, key: (Int) -> String = { "key-\($0)" }, prefix: String = "record") -> [AppendRecord] {
    (0..<count).map { AppendRecord(partitionKey: key($0), data: "\(prefix)-\($0)") }
}

/// Every record of a shard from the trim horizon, in order.
func readAll(_ store: StreamStore, _ stream: StreamName, shard: ShardID, batch: Int = 1000) throws -> [StoredRecord] {
    var cursor: ShardCursor? = try store.cursor(stream: stream, shard: shard, at: .trimHorizon)
    var all: [StoredRecord] = []
    while let current = cursor {
        let result = try store.read(current, maxRecords: batch)
        all += result.records
        if result.records.isEmpty { break }
        cursor = result.next
    }
    return all
}

/// Every record of every shard, shard by shard in id order.
func readAll(_ store: StreamStore, _ stream: StreamName) throws -> [StoredRecord] {
    try store.describeStream(stream).shards.flatMap { try readAll(store, stream, shard: $0.id) }
}

extension StoredRecord {
    var text: String { String(decoding: data, as: UTF8.self) }
}

let logs = StreamName(rawValue: "logs")!
