import Foundation
import StreamQClient
import StreamQShip
import StreamQStorage
import Testing

/// A scratch directory with a log folder, a state directory and a store holding the stream `logs`.
final class ShipFixture {
    let root: String
    let store: StreamStore
    let stream = StreamName(rawValue: "logs")!
    var logs: String { root + "/logs" }
    var state: String { root + "/state" }

    init(shards: Int = 2) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ship-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        var configuration = StorageConfiguration()
        configuration.maintenanceInterval = .seconds(3600)
        store = try StreamStore(directory: root + "/data", configuration: configuration)
        try store.createStream(stream, shardCount: shards)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func configuration(_ paths: [String], once: Bool = false, parser: LineParser = .none) -> ShipConfiguration {
        var configuration = ShipConfiguration(paths: paths, stream: stream, stateDirectory: state, host: "test-host")
        configuration.once = once
        configuration.parser = parser
        configuration.startPosition = .beginning
        configuration.pollInterval = .milliseconds(10)
        configuration.scanInterval = .milliseconds(30)
        configuration.rotateWait = .milliseconds(300)
        configuration.checkpointInterval = .milliseconds(50)
        return configuration
    }

    func shipOnce(_ paths: [String], parser: LineParser = .none) async throws -> ShipSummary {
        try await Shipper(configuration: configuration(paths, once: true, parser: parser), backend: store).run()
    }

    /// Every stored record, shard by shard in stored order, with its partition key.
    func records() throws -> [(key: String, fields: [String: Any])] {
        var all: [(key: String, fields: [String: Any])] = []
        for shard in try store.describeStream(stream).shards {
            var cursor = try store.cursor(stream: stream, shard: shard.id, at: .trimHorizon)
            while true {
                let result = try store.read(cursor)
                for record in result.records {
                    let fields = try JSONSerialization.jsonObject(with: Data(record.data)) as? [String: Any] ?? [:]
                    all.append((record.partitionKey, fields))
                }
                guard let next = result.next, !result.records.isEmpty else { break }
                cursor = next
            }
        }
        return all
    }

    /// Waits until the stream holds `count` records (or 60 s pass).
    func waitForRecords(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try records().count < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Appends `lines` to `path` (creating it), one write per line, as a logging process does.
    func append(_ lines: [String], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw ShipError("cannot open \(path)") }
        defer { close(fd) }
        for line in lines {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}

/// Checks that the stored messages are exactly `expected`, each once, and that each file's lines
/// (one partition key) are stored in the order of their offsets.
func expectExactlyOnce(_ records: [(key: String, fields: [String: Any])], expected: [String]) {
    let messages = records.compactMap { $0.fields["message"] as? String }
    #expect(messages.count == records.count)
    var counts: [String: Int] = [:]
    for message in messages { counts[message, default: 0] += 1 }
    let duplicates = counts.filter { $0.value > 1 }.keys.sorted()
    let missing = Set(expected).subtracting(counts.keys).sorted()
    let unexpected = Set(counts.keys).subtracting(expected).sorted()
    let (storedTwice, lost, unwritten) = (duplicates.count, missing.count, unexpected.count)
    #expect(storedTwice == 0, "stored twice, such as \(duplicates.prefix(5))")
    #expect(lost == 0, "lost, such as \(missing.prefix(5))")
    #expect(unwritten == 0, "not written, such as \(unexpected.prefix(5))")
    var lastOffset: [String: Int] = [:]
    for record in records {
        let offset = record.fields["offset"] as? Int ?? -1
        if let last = lastOffset[record.key] { #expect(offset > last, "out of order in \(record.key)") }
        lastOffset[record.key] = offset
    }
}

/// A test backend that changes how appends behave and passes everything else to a real store.
protocol StoreWrappingShipBackend: StreamBackend {
    var store: StreamStore { get }
}

extension StoreWrappingShipBackend {
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
