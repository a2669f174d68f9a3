import StreamQPipelines
import StreamQSQL
import StreamQStorage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A fresh data directory with a store, removed afterwards.
func withStore<T>(_ body: (StreamStore) async throws -> T) async throws -> T {
    var template = Array("/tmp/streamq-pipelines-test-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    defer { _ = system("rm -rf '\(directory)'") }
    var configuration = StorageConfiguration()
    configuration.maintenanceInterval = .seconds(3600)
    return try await StreamStore(directory: directory, configuration: configuration).closing(after: body)
}

/// Runs a ``QueryHost`` beside `body`, and stops it (each query committing) afterwards.
/// - Parameter idleTimeout: when a silent shard stops holding the watermark (then, with every shard
///   silent, it follows the wall clock and closes every window). Long by default: on a machine busy
///   with other suites a stage can be silent for seconds, which must not close windows early.
func withHost<T>(
    _ store: StreamStore,
    idleTimeout: Int64 = 60_000,
    _ body: (QueryHost) async throws -> T
) async throws -> T {
    let host = QueryHost(store: store, pollInterval: .milliseconds(50), idleTimeout: idleTimeout)
    let hosting = Task { await host.run() }
    do {
        let result = try await body(host)
        hosting.cancel()
        await hosting.value
        return result
    } catch {
        hosting.cancel()
        await hosting.value
        throw error
    }
}

/// Carries out one statement.
@discardableResult
func execute(_ sql: String, on store: StreamStore) async throws -> StatementResult {
    try await StatementRunner(store: store).execute(try Parser.parseStatement(sql), text: sql)
}

/// Every record of every shard of `stream`, as text, in shard then sequence order.
func records(of stream: String, in store: StreamStore) throws -> [String] {
    let name = try StreamName(validating: stream)
    var texts: [String] = []
    for shard in try store.describeStream(name).shards {
        var cursor: ShardCursor? = try store.cursor(stream: name, shard: shard.id, at: .trimHorizon)
        while let current = cursor {
            let result = try store.read(current, maxRecords: 10_000)
            texts += result.records.map { String(decoding: $0.data, as: UTF8.self) }
            if result.records.isEmpty { break }
            cursor = result.next
        }
    }
    return texts
}

/// Waits until `condition` holds, for at most `seconds`.
func eventually(_ seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// The rows of a bounded query as JSON lines (the text a persistent query writes), sorted.
func boundedRows(_ sql: String, in store: StreamStore) async throws -> [String] {
    let plan = try QueryPlanner.plan(sql)
    let rows = RowsCollected()
    _ = try await BoundedQueryRunner(plan: plan, backend: store, stream: try StreamName(validating: plan.stream))
        .run(emit: { rows.append($0) }, reportErrors: { _ in })
    return rows.all.map { row in jsonLine(columns: plan.columns, row) }.sorted()
}

final class RowsCollected: Sendable {
    private let rows = Mutex<[[SQLValue]]>([])
    func append(_ more: [[SQLValue]]) { rows.withLock { $0 += more } }
    var all: [[SQLValue]] { rows.withLock { $0 } }
}

func jsonLine(columns: [String], _ row: [SQLValue]) -> String {
    "{" + zip(columns, row).map { "\"\($0)\":\(json($1))" }.joined(separator: ",") + "}"
}

private func json(_ value: SQLValue) -> String {
    switch value {
    case .null: "null"
    case .boolean(let flag): flag ? "true" : "false"
    case .integer(let number): String(number)
    case .double(let number): String(number)
    case .string(let text): "\"\(text)\""
    case .timestamp(let ms): "\"\(EventTime.iso8601(ms))\""
    case .interval(let ms): String(ms)
    case .json(let text): text
    }
}

/// 2026-01-01T00:00:00Z.
let base: Int64 = 1_767_225_600_000

/// Access-log records: one per 250 ms of event time from `first`, statuses and paths cycling.
func accessRecords(_ range: Range<Int>) -> [AppendRecord] {
    range.map { index in
        let status = [200, 200, 404, 500, 301][index % 5]
        let path = ["/", "/login", "/api", "/api/items"][index % 4]
        return AppendRecord(
            partitionKey: "user\(index % 7)",
            data:
                #"{"id":\#(index),"ts":\#(base + Int64(index) * 250),"status":\#(status),"path":"\#(path)","bytes":\#(index % 1000)}"#
        )
    }
}
