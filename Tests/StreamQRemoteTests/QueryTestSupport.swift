import Foundation
import StreamQClient
import StreamQRemote
import StreamQSQL
import StreamQStorage
import Synchronization
import Testing

/// JSON events for the query tests, `{"ts":…,"k":"k<key>","v":n}` sent to partition key `k<key>`:
/// ten numbers a second of event time, number `n` at `base + n × 100 ms`, so second `s` holds the
/// numbers `10s..<10s+10` of every key.
enum QueryEvents {
    /// 2026-01-01T00:00:00Z in epoch ms.
    static let base: Int64 = 1_767_225_600_000

    /// Per key and second: the count, the sum, the smallest and the largest number.
    static func boundedQuery(_ stream: StreamName) -> String {
        """
        SELECT window_start, k, count(*) AS n, sum(v) AS total, min(v) AS low, max(v) AS high
        FROM "\(stream)" GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k ORDER BY window_start, k
        """
    }

    /// Per second over all keys, emitted once the event time of every shard has passed it.
    static func followQuery(_ stream: StreamName) -> String {
        """
        SELECT window_start, count(*) AS n, sum(v) AS total
        FROM "\(stream)" WATERMARK DELAY INTERVAL '0' SECOND GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)
        """
    }

    static func text(key: Int, n: Int) -> String {
        #"{"ts":\#(base + Int64(n) * 100),"k":"k\#(key)","v":\#(n)}"#
    }

    /// Sends numbers `range` of every key, number by number.
    static func send(_ producer: StreamQProducer, to stream: StreamName, keys: Int, range: Range<Int>) async throws {
        for n in range {
            for key in 0..<keys {
                _ = try await producer.send(
                    ProducerRecord(stream: stream, partitionKey: "k\(key)", data: text(key: key, n: n))
                )
            }
        }
    }

    /// The rows ``boundedQuery`` gives for numbers `range` (whole seconds) of `keys` keys.
    static func boundedRows(keys: Int, range: Range<Int>) -> [[SQLValue]] {
        stride(from: range.lowerBound, to: range.upperBound, by: 10).flatMap { first in
            (0..<keys).map { key in
                let numbers = first..<(first + 10)
                return [
                    .timestamp(base + Int64(first) * 100), .string("k\(key)"), .integer(10),
                    .integer(Int64(numbers.reduce(0, +))), .integer(Int64(first)), .integer(Int64(first + 9)),
                ]
            }
        }.sorted { ($0[0].description, $0[1].description) < ($1[0].description, $1[1].description) }
    }

    /// The rows ``followQuery`` gives for seconds `seconds` of `keys` keys.
    static func followRows(keys: Int, seconds: Range<Int>) -> [[SQLValue]] {
        seconds.map { second in
            let numbers = (second * 10)..<(second * 10 + 10)
            return [
                .timestamp(base + Int64(second) * 1000), .integer(Int64(10 * keys)),
                .integer(Int64(keys * numbers.reduce(0, +))),
            ]
        }
    }
}

/// Runs a bounded query over `backend` and returns its rows; expects every row to evaluate.
func boundedRows(
    _ sql: String,
    over backend: any StreamBackend,
    stream: StreamName,
    from: Int64? = nil,
    until: Int64? = nil,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) async throws -> [[SQLValue]] {
    let rows = Shared<[[SQLValue]]>([])
    let errors = Shared<Int>(0)
    let runner = BoundedQueryRunner(
        plan: try QueryPlanner.plan(sql),
        backend: backend,
        stream: stream,
        from: from,
        until: until
    )
    _ = try await runner.run(
        emit: { batch in rows.value.withLock { $0 += batch } },
        reportErrors: { batch in errors.value.withLock { $0 += batch.count } }
    )
    #expect(errors.value.withLock { $0 } == 0, sourceLocation: sourceLocation)
    return rows.value.withLock { $0 }
}

/// Runs `body` with the server's data directory opened read-only beside it: the same records,
/// read by the embedded engine.
func withLocalStore<T>(of server: SpawnedServer, _ body: (StreamStore) async throws -> T) async throws -> T {
    let scratch = try #require(server.scratchPath)
    var configuration = StorageConfiguration()
    configuration.masterKeyFile = scratch + "/keys"
    return try await StreamStore(directory: scratch + "/data", configuration: configuration, mode: .readOnly)
        .closing(after: body)
}

/// A follow query running in a task until ``stop()``, its rows collected as they come.
final class FollowRun: Sendable {
    private let rows = Shared<[[SQLValue]]>([])
    private let failure = Shared<(any Error)?>(nil)
    private let task: Task<Void, any Error>

    /// Starts `runner`, saving its progress in `checkpoint` and resuming from it.
    init(_ runner: FollowQueryRunner, checkpoint: QueryCheckpoint) {
        let rows = self.rows
        let failure = self.failure
        task = Task {
            do {
                _ = try await runner.run(
                    checkpoint: checkpoint,
                    emit: { batch in rows.value.withLock { $0 += batch } },
                    reportErrors: { batch in Issue.record("rows the query could not use: \(batch)") }
                )
            } catch {
                failure.value.withLock { $0 = error }
                throw error
            }
        }
    }

    /// The rows so far.
    var emitted: [[SQLValue]] { rows.value.withLock { $0 } }

    /// Waits until at least `count` rows are out.
    /// - Throws: what the run failed with, if it failed first.
    func waitForRows(_ count: Int) async throws -> [[SQLValue]] {
        while true {
            if let error = failure.value.withLock({ $0 }) { throw error }
            let current = emitted
            if current.count >= count { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Cancels the run and waits for it to end: a stopped run commits and returns, as embedded,
    /// even when stopped inside a remote call.
    func stop() async throws {
        task.cancel()
        try await task.value
    }
}

/// A fresh checkpoint in a temporary directory, removed by `body`'s end.
func withCheckpoint<T>(_ body: (QueryCheckpoint) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamq-query-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(try QueryCheckpoint(name: "windows", dataDirectory: directory))
}

/// A follow runner of ``QueryEvents/followQuery(_:)`` over `backend` from the trim horizon; shards go
/// idle only after a minute, so only event time closes windows.
func followRunner(_ backend: any StreamBackend, stream: StreamName) throws -> FollowQueryRunner {
    FollowQueryRunner(
        plan: try QueryPlanner.plan(QueryEvents.followQuery(stream)),
        backend: backend,
        stream: stream,
        idleTimeout: 60_000,
        tick: .milliseconds(100)
    )
}
