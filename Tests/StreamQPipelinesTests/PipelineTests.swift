import StreamQPipelines
import StreamQSQL
import StreamQStorage
import Testing

/// Persistent queries hosted by a ``QueryHost`` on one store: pipelines, fan-in, DROP refusals,
/// failure and restart, STOP/START and REPLACE.
@Suite struct PipelineTests {
    let access = StreamName(rawValue: "access")!
    static let delay = "WATERMARK DELAY INTERVAL '1' SECOND"
    /// A derived stream's shards interleave their rows' event times by as much as a commit spans.
    static let derivedDelay = "WATERMARK DELAY INTERVAL '10' MINUTE"

    /// One record an hour after the others: it moves every watermark past their windows.
    func sentinel() -> AppendRecord {
        AppendRecord(
            partitionKey: "sentinel",
            data: #"{"id":1000000,"ts":\#(base + 3_600_000),"status":200,"path":"/","bytes":0}"#
        )
    }

    @Test func aThreeStagePipelineFedWhileRunningEqualsTheSameSQLRunBounded() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 2)
            _ = try await store.append(to: access, accessRecords(0..<400))
            try await withHost(store) { host in
                try await execute(
                    "CREATE STREAM parsed AS SELECT id, ts, status, path FROM access WHERE status <> 301",
                    on: store
                )
                try await execute(
                    "CREATE STREAM per_minute AS SELECT window_start, status, count(*) AS n FROM parsed \(Self.derivedDelay) "
                        + "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status",
                    on: store
                )
                try await execute(
                    "CREATE STREAM top_paths AS SELECT window_start, path, count(*) AS hits FROM parsed \(Self.derivedDelay) "
                        + "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), path HAVING count(*) >= 10",
                    on: store
                )
                host.nudge()
                for chunk in stride(from: 400, to: 2000, by: 200) {
                    _ = try await store.append(to: access, accessRecords(chunk..<chunk + 200))
                    try await Task.sleep(for: .milliseconds(30))
                }
                // The sentinel moves the watermark past every window but its own.
                _ = try await store.append(to: access, [sentinel()])
                let perMinute = try await boundedRows(
                    "SELECT window_start, status, count(*) AS n FROM access WHERE status <> 301 AND id < 1000000 "
                        + "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status",
                    in: store
                )
                let topPaths = try await boundedRows(
                    "SELECT window_start, path, count(*) AS hits FROM access WHERE status <> 301 AND id < 1000000 "
                        + "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), path HAVING count(*) >= 10",
                    in: store
                )
                #expect(perMinute.count > 20)
                let caughtUp = try await eventually {
                    try records(of: "per_minute", in: store).count >= perMinute.count
                }
                let perMinuteState = try await describe("per_minute", on: store)
                let parsedState = try await describe("parsed", on: store)
                #expect(caughtUp, "\(perMinuteState) \(parsedState)")
                #expect(try await eventually { try records(of: "top_paths", in: store).count >= topPaths.count })
                let storedPerMinute = try records(of: "per_minute", in: store).sorted()
                #expect(storedPerMinute == perMinute, "\(storedPerMinute.prefix(5)) \(perMinute.prefix(5))")
                #expect(try records(of: "top_paths", in: store).sorted() == topPaths)
                #expect(
                    try records(of: "parsed", in: store).sorted()
                        == (try await boundedRows(
                            "SELECT id, ts, status, path FROM access WHERE status <> 301",
                            in: store
                        ))
                )
            }
        }
    }

    @Test func twoQueriesFeedOneStreamEachRowOnce() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 1)
            try store.createStream(StreamName(rawValue: "alerts")!, shardCount: 2)
            _ = try await store.append(to: access, accessRecords(0..<500))
            try await withHost(store) { _ in
                let first = try await execute(
                    "INSERT INTO alerts SELECT id, 'server' AS kind FROM access WHERE status = 500",
                    on: store
                )
                #expect(first.message == "query alerts_insert_1 inserts into alerts")
                try await execute(
                    "INSERT INTO alerts SELECT id, 'missing' AS kind FROM access WHERE status = 404",
                    on: store
                )
                let expected =
                    (try await boundedRows("SELECT id, 'server' AS kind FROM access WHERE status = 500", in: store))
                    + (try await boundedRows("SELECT id, 'missing' AS kind FROM access WHERE status = 404", in: store))
                #expect(try await eventually { try records(of: "alerts", in: store).count >= expected.count })
                try await Task.sleep(for: .milliseconds(300))
                #expect(try records(of: "alerts", in: store).sorted() == expected.sorted())
                let queries = try await execute("SHOW QUERIES", on: store)
                #expect(queries.rows.map { $0[0] } == ["alerts_insert_1", "alerts_insert_2"])
            }
        }
    }

    @Test func dropIsRefusedWhileAQueryReadsOrWritesTheStream() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 1)
            try await execute("CREATE STREAM errors_only AS SELECT id FROM access WHERE status >= 500", on: store)
            await #expect(
                throws: PipelineError("stream 'access' is read by query errors_only; TERMINATE QUERY errors_only first")
            ) {
                try await execute("DROP STREAM access", on: store)
            }
            await #expect(
                throws: PipelineError(
                    "stream 'errors_only' is written by query errors_only; TERMINATE QUERY errors_only first"
                )
            ) {
                try await execute("DROP STREAM errors_only", on: store)
            }
            await #expect(throws: PipelineError.self) {
                try await execute("CREATE STREAM access AS SELECT id FROM errors_only", on: store)
            }
            try await execute("TERMINATE QUERY errors_only", on: store)
            try await execute("DROP STREAM errors_only", on: store)
            try await execute("DROP STREAM access", on: store)
            #expect(try store.listStreams().isEmpty)
            await #expect(throws: PipelineError("no query named 'errors_only' (SHOW QUERIES lists them)")) {
                try await execute("DESCRIBE QUERY errors_only", on: store)
            }
        }
    }

    @Test func aFailingQueryRestartsWithBackoffReportsWhyAndLosesNothing() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 1)
            _ = try await store.append(to: access, accessRecords(0..<100))
            try await withHost(store) { host in
                try await execute("CREATE STREAM copy AS SELECT id FROM access", on: store)
                host.nudge()
                #expect(try await eventually { try records(of: "copy", in: store).count == 100 })
                // The output stream goes away behind the query's back (DROP would refuse).
                try await store.deleteStream(StreamName(rawValue: "copy")!)
                _ = try await store.append(to: access, accessRecords(100..<150))
                #expect(
                    try await eventually {
                        try await describe("copy", on: store)["state"] == "failed"
                    }
                )
                let details = try await describe("copy", on: store)
                #expect(details["last_error"]?.contains("copy") == true, "\(details)")
                #expect(Int(details["failures"] ?? "0")! >= 1)
                try store.createStream(StreamName(rawValue: "copy")!, shardCount: 1)
                let recovered = try await eventually { try records(of: "copy", in: store).count == 50 }
                let afterwards = try await describe("copy", on: store)
                let count = try records(of: "copy", in: store).count
                #expect(recovered, "\(afterwards) \(count)")
                #expect(try await eventually { try await describe("copy", on: store)["state"] == "running" })
                #expect(try records(of: "copy", in: store).sorted() == (100..<150).map { #"{"id":\#($0)}"# }.sorted())
            }
        }
    }

    @Test func stoppedQueriesResumeWhereTheyStoppedOnStart() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 2)
            _ = try await store.append(to: access, accessRecords(0..<300))
            try await withHost(store) { host in
                try await execute("CREATE STREAM copy AS SELECT id FROM access", on: store)
                host.nudge()
                #expect(try await eventually { try records(of: "copy", in: store).count == 300 })
                try await execute("STOP QUERY copy", on: store)
                host.nudge()
                #expect(try await eventually { try await describe("copy", on: store)["state"] == "stopped" })
                _ = try await store.append(to: access, accessRecords(300..<400))
                try await Task.sleep(for: .milliseconds(300))
                #expect(try records(of: "copy", in: store).count == 300, "a stopped query writes nothing")
                try await execute("START QUERY copy", on: store)
                host.nudge()
                #expect(try await eventually { try records(of: "copy", in: store).count >= 400 })
                try await Task.sleep(for: .milliseconds(200))
                #expect(try records(of: "copy", in: store).sorted() == (0..<400).map { #"{"id":\#($0)}"# }.sorted())
            }
        }
    }

    @Test func replacingAWindowedQueryMidStreamNeitherLosesNorRepeatsAWindow() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 1)
            let window = "GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)"
            try await withHost(store) { host in
                _ = try await store.append(to: access, accessRecords(0..<400))
                try await execute(
                    "CREATE STREAM counts AS SELECT window_start, count(*) AS n FROM access \(Self.delay) \(window)",
                    on: store
                )
                host.nudge()
                #expect(try await eventually { try records(of: "counts", in: store).count >= 8 })
                try await execute(
                    "REPLACE QUERY counts AS SELECT window_start, count(*) AS n, sum(bytes) AS total FROM access "
                        + "\(Self.delay) \(window)",
                    on: store
                )
                host.nudge()
                _ = try await store.append(to: access, accessRecords(400..<800) + [sentinel()])
                let expected = try await boundedRows(
                    "SELECT window_start FROM access WHERE id < 1000000 \(window)",
                    in: store
                )
                let complete = try await eventually { try records(of: "counts", in: store).count >= expected.count }
                let described = try await describe("counts", on: store)
                #expect(complete, "\(described)")
                try await Task.sleep(for: .milliseconds(300))
                let starts = try records(of: "counts", in: store).map { String($0.split(separator: ",")[0]) }
                #expect(starts.sorted() == expected.map { String($0.dropLast()) }.sorted())
                #expect(
                    try records(of: "counts", in: store).contains { $0.contains("total") },
                    "the new query took over"
                )
            }
        }
    }

    /// DESCRIBE QUERY's rows as a dictionary.
    func describe(_ name: String, on store: StreamStore) async throws -> [String: String] {
        let result = try await execute("DESCRIBE QUERY \(name)", on: store)
        return Dictionary(result.rows.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
    }
}

extension PipelineTests {
    @Test func rowsAQueryCannotUseGoToItsErrorStreamWithTheirReasonAndPosition() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 1)
            let lines = [
                #"{"id":1,"ts":\#(base),"bytes":10}"#, "not json", #"{"id":2,"ts":\#(base + 1000),"bytes":"many"}"#,
                #"{"id":3,"ts":\#(base + 60000),"bytes":5}"#, #"{"id":4,"ts":\#(base + 2000),"bytes":7}"#,
            ]
            _ = try await store.append(to: access, lines.dropLast().map { AppendRecord(partitionKey: "k", data: $0) })
            try await withHost(store) { host in
                try await execute(
                    "CREATE STREAM sums AS SELECT window_start, sum(bytes) AS total FROM access \(Self.delay) "
                        + "GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)",
                    on: store
                )
                host.nudge()
                let fired = try await eventually { (try? records(of: "sums", in: store))?.count == 1 }
                let state = try await describe("sums", on: store)
                #expect(fired, "\(state)")
                // Behind the watermark (59 s) once the window [0 s, 10 s) has been emitted: late.
                _ = try await store.append(to: access, [AppendRecord(partitionKey: "k", data: lines[4])])
                #expect(try await eventually { (try? records(of: "sums_errors", in: store))?.count == 3 })
                let errors = try records(of: "sums_errors", in: store)
                #expect(errors.filter { $0.contains(#""kind":"error""#) }.count == 2)
                #expect(
                    errors.contains { $0.contains("not valid JSON") && $0.contains(#""sequence_number":"4294967296""#) }
                )
                #expect(errors.contains { $0.contains("sum needs numbers") })
                #expect(
                    errors.contains {
                        $0.contains(#""kind":"late""#) && $0.contains(#""shard":"shardId-000000000000""#)
                    }
                )
                #expect(errors.allSatisfy { $0.hasPrefix(#"{"query":"sums","#) })
                let described = try await describe("sums", on: store)
                #expect(described["errors"] == "2")
                #expect(described["late"] == "1")
            }
        }
    }
}

extension PipelineTests {
    @Test func partitionByExpressionsOverTheOutputColumnsPickEachRowsKey() async throws {
        try await withStore { store in
            try store.createStream(access, shardCount: 1)
            _ = try await store.append(to: access, accessRecords(0..<200))
            try await execute(
                "CREATE STREAM by_class WITH (shards = 4) AS SELECT id, status FROM access PARTITION BY CAST(status / 100 AS INTEGER)",
                on: store
            )
            await #expect(
                throws: PipelineError("query 'wrong': PARTITION BY path is not an output column (id, status)")
            ) {
                try await execute(
                    "CREATE STREAM wrong AS SELECT id, status FROM access PARTITION BY path",
                    on: store
                )
            }
            try await withHost(store) { host in
                host.nudge()
                let complete = try await eventually { try records(of: "by_class", in: store).count == 200 }
                #expect(complete)
            }
            // Every status of a class went to the shard its key (2, 3, 4 or 5) hashes to.
            let name = StreamName(rawValue: "by_class")!
            for shard in try store.describeStream(name).shards {
                var cursor = try store.cursor(stream: name, shard: shard.id, at: .trimHorizon)
                let read = try store.read(cursor, maxRecords: 1000)
                cursor = read.next ?? cursor
                for record in read.records {
                    let expected = try store.shard(for: HashKey.forPartitionKey(record.partitionKey), in: name)
                    #expect(expected == shard.id)
                    let status = Int(
                        String(decoding: record.data, as: UTF8.self).split(separator: ":").last!.dropLast()
                    )!
                    #expect(record.partitionKey == String(status / 100))
                }
            }
        }
    }
}
