// A complete small program running SQL over a stream as a library: append a few events, run a
// bounded windowed query over them, then follow the stream and print windows as they close.
//
//     swift run windowed-query /tmp/query-data
import StreamQSQL
import StreamQStorage

let directory = CommandLine.arguments.dropFirst().first ?? "./query-data"
let store = try StreamStore(directory: directory)
let events = try StreamName(validating: "events")
if try !store.listStreams().contains(events) {
    try store.createStream(events, shardCount: 2, retention: .seconds(24 * 3600))
}

// Ten events a second apart, for two users.
let start: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
_ = try await store.append(
    to: events,
    (0..<10).map { index in
        let user = index % 2 == 0 ? "ada" : "grace"
        return AppendRecord(
            partitionKey: user,
            data: #"{"ts":\#(start + Int64(index) * 1000),"user":"\#(user)","bytes":\#(index * 100)}"#
        )
    }
)

// Bounded: the stream's history, every window fires at the end.
let plan = try QueryPlanner.plan(
    """
    SELECT window_start, user, count(*) AS events, sum(bytes) AS bytes
    FROM events GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), user ORDER BY window_start, user
    """
)
let summary = try await BoundedQueryRunner(plan: plan, backend: store, stream: events).run(
    emit: { rows in for row in rows { print(row.map(\.description).joined(separator: "  ")) } },
    reportErrors: { errors in for error in errors { print("skipped:", error.message) } }
)
print("\(summary.statistics.rowsIn) records in, \(summary.statistics.rowsOut) rows out")

// Follow: windows are emitted as the watermark (newest event time - delay) passes their end: the
// first at once, the last when the shards have been idle for 2 s (then the watermark follows the
// wall clock). The query stops after LIMIT rows, or when its task is cancelled.
let live = try QueryPlanner.plan(
    """
    SELECT window_start, count(*) AS events FROM events WATERMARK DELAY INTERVAL '0' SECOND
    GROUP BY TUMBLE(ts, INTERVAL '5' SECOND) LIMIT 2
    """
)
let statistics = try await FollowQueryRunner(plan: live, backend: store, stream: events, idleTimeout: 2000).run(
    emit: { rows in for row in rows { print("closed:", row.map(\.description).joined(separator: "  ")) } },
    reportErrors: { _ in }
)
print("follow mode stopped after \(statistics.rowsOut) rows")
try await store.close()
