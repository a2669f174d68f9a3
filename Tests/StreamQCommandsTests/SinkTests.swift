import Foundation
import Testing

/// Files written by `query --into` and `deliver`, read back the way users read them: DuckDB and
/// pyarrow must see the rows and types the query produced; nothing partial, duplicated or lost.
@Suite(.serialized) struct SinkTests {
    static let base: Int64 = 1_767_225_600_000

    /// Records with NULLs, missing fields, empty strings, unicode, large and negative numbers.
    static let records: [String] = (0..<300).map { index in
        let ts = base + Int64(index) * 250
        switch index % 6 {
        case 0: return #"{"ts":\#(ts),"k":"ünïcödé ✓","n":\#(Int64.max - Int64(index)),"x":1.5e300,"ok":true}"#
        case 1: return #"{"ts":\#(ts),"k":"","n":-\#(index),"x":-0.25,"ok":false}"#
        case 2: return #"{"ts":\#(ts),"k":null,"n":null,"x":null,"ok":null}"#
        case 3: return #"{"ts":\#(ts),"k":"quote \" comma , newline \n end","n":\#(index)}"#
        default:
            return
                #"{"ts":\#(ts),"k":"k\#(index % 4)","n":\#(index),"x":\#(Double(index) / 8),"ok":\#(index % 2 == 0)}"#
        }
    }

    static let rowQuery = "SELECT ts, k, n, x, ok, to_timestamp(ts / 1000) AS at FROM events"

    static func readBack(_ format: String, _ pattern: String, orderBy: String? = nil) throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("compat/read_sink.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, format, pattern] + (orderBy.map { [$0] } ?? [])
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DuckDBComparisonTests.CommandFailure(
                String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            )
        }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The rows as sorted-key JSON text, for comparing what different readers saw.
    static func canonical(_ rows: [[String: Any]]) -> [String] {
        rows.map { row in
            let data = try! JSONSerialization.data(withJSONObject: row, options: [.sortedKeys, .fragmentsAllowed])
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func expectedRows(_ streamq: CommandRunner) throws -> [[String: Any]] {
        try streamq.succeed("query", rowQuery + " ORDER BY ts", "--format", "jsonl").lines.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func parquetReadsBackInDuckDBAndPyarrowWithTheQuerysTypesAndValues() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "2")
            _ = try streamq.succeed("put", "events", input: Self.records.joined(separator: "\n") + "\n")
            let root = streamq.dataDirectory + "-out"
            _ = try streamq.succeed(
                "query",
                Self.rowQuery,
                "--into",
                "file://\(root)/rows",
                "--format",
                "parquet",
                "--row-group-rows",
                "32"
            )
            let seen = try Self.readBack("parquet", root + "/rows/*.parquet", orderBy: "ts")
            let types = seen["types"] as? [String: String] ?? [:]
            #expect(
                types == [
                    "ts": "int64", "k": "string", "n": "int64", "x": "double", "ok": "bool",
                    "at": "timestamp[ms, tz=UTC]",
                ]
            )
            #expect((seen["row_groups"] as? Int ?? 0) >= 10, "many row groups: \(seen["row_groups"] ?? "?")")
            let expected = try Self.expectedRows(streamq)
            let duckdb = seen["duckdb"] as? [[String: Any]] ?? []
            #expect(duckdb.count == 300)
            #expect(Self.canonical(duckdb) == Self.canonical(expected), "DuckDB sees what streamq query prints")
            let pyarrow = (seen["pyarrow"] as? [[String: Any]] ?? []).sorted { ($0["ts"] as! Int) < ($1["ts"] as! Int) }
            #expect(Self.canonical(pyarrow) == Self.canonical(expected), "pyarrow too")
            #expect(duckdb.contains { ($0["k"] as? String) == "" } && duckdb.contains { $0["k"] is NSNull })
        }
    }

    @Test(arguments: [("jsonl", "none"), ("jsonl", "gzip"), ("jsonl", "zstd"), ("csv", "none"), ("csv", "gzip")])
    func textFormatsReadBackInDuckDB(format: String, compression: String) async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "2")
            _ = try streamq.succeed("put", "events", input: Self.records.joined(separator: "\n") + "\n")
            let root = streamq.dataDirectory + "-out"
            _ = try streamq.succeed(
                "query",
                "SELECT ts, k, n FROM events",
                "--into",
                "file://\(root)/t",
                "--format",
                format,
                "--compression",
                compression
            )
            let suffix = compression == "none" ? "" : compression == "gzip" ? ".gz" : ".zst"
            let seen = try Self.readBack(format, root + "/t/*.\(format)\(suffix)", orderBy: "CAST(ts AS BIGINT)")
            let duckdb = seen["duckdb"] as? [[String: Any]] ?? []
            #expect(duckdb.count == 300)
            let expected = try streamq.succeed("query", "SELECT ts, k, n FROM events ORDER BY ts", "--format", "jsonl")
                .lines.map {
                    try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
                }
            let pyarrow = seen["pyarrow"] as? [[String: Any]] ?? []
            #expect(pyarrow.count == 300, "pyarrow reads them too")
            if format == "jsonl" {
                #expect(Self.canonical(duckdb) == Self.canonical(expected))
                let sorted = pyarrow.sorted { ($0["ts"] as? Int ?? 0) < ($1["ts"] as? Int ?? 0) }
                #expect(sorted.map { $0["k"] as? String } == expected.map { $0["k"] as? String })
            } else {
                // CSV is text: compare as text, NULL as an empty field.
                let text = expected.map { row in
                    ["ts", "k", "n"].map { key -> String in row[key].map { $0 is NSNull ? "" : "\($0)" } ?? "" }
                }
                let read = duckdb.map { row in
                    ["ts", "k", "n"].map { key -> String in row[key].map { $0 is NSNull ? "" : "\($0)" } ?? "" }
                }
                #expect(read == text)
            }
        }
    }

    @Test func aFollowQueryIntoFilesIsExactlyOnceAcrossTwentyKills() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "3")
            let root = streamq.dataDirectory + "-out"
            let sql =
                "SELECT window_start, k, count(*) AS n, sum(v) AS total FROM events GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k"
            var next = 0
            func append(_ count: Int) throws {
                let lines = (next..<(next + count)).map { index in
                    #"{"ts":\#(Self.base + Int64(index) * 7),"k":"k\#(index % 5)","v":\#(index)}"#
                }
                next += count
                _ = try streamq.succeed(
                    "put",
                    "events",
                    "--key-field",
                    "k",
                    input: lines.joined(separator: "\n") + "\n"
                )
            }
            // Shards idle for the idle timeout take the wall clock as their watermark, after which these
            // records (from 2026-01-01) would all be late: the killed runs wait longer than any stall
            // between their start and the next put; only the last, with nothing more coming, idles soon.
            func start(idleTimeout: String = "60s") throws -> Process {
                let query = streamq.process([
                    "query", sql, "--follow", "--into", "file://\(root)/q/dt={dt}", "--idle-timeout", idleTimeout,
                    "--roll-interval", "200ms",
                    "--roll-inactivity", "200ms", "--format", "jsonl",
                ])
                query.standardOutput = Pipe()
                query.standardError = FileHandle.nullDevice
                try query.run()
                return query
            }
            try append(2000)
            for round in 0..<20 {
                let query = try start()
                try append(500)
                usleep(UInt32.random(in: 100_000...900_000))
                kill(query.processIdentifier, SIGKILL)
                query.waitUntilExit()
                _ = round
            }
            // A last run sees everything and, once the shards idle, closes every window; it is stopped
            // when its manifests list as many rows as the bounded query has (or after 60 s).
            let expectedCount = try streamq.succeed("query", sql, "--format", "jsonl").lines.count
            let last = try start(idleTimeout: "1s")
            let deadline = Date().addingTimeInterval(60)
            while Self.committedRows(root + "/q/_manifest") < expectedCount && Date() < deadline { usleep(200_000) }
            usleep(500_000)  // anything beyond the expected rows would be a duplicate: give it a chance to show
            kill(last.processIdentifier, SIGTERM)
            last.waitUntilExit()

            // DuckDB adds the Hive partition column dt; the rows themselves are compared.
            let committed =
                (try Self.readBack("jsonl", root + "/q/**/*.jsonl", orderBy: "window_start, k")["duckdb"]
                as? [[String: Any]] ?? [])
                .map { row in row.filter { $0.key != "dt" } }
            let bounded = try streamq.succeed("query", sql + " ORDER BY window_start, k", "--format", "jsonl").lines.map
            {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
            #expect(bounded.count > 50)
            #expect(
                committed.count == bounded.count,
                "every window once: \(committed.count) committed vs \(bounded.count)"
            )
            #expect(Self.canonical(committed) == Self.canonical(bounded), "the committed files equal the bounded query")
            let leftovers = try FileManager.default.subpathsOfDirectory(atPath: root).filter {
                $0.hasSuffix(".inprogress")
            }
            #expect(
                leftovers.isEmpty || leftovers.count <= 1,
                "at most the open file of the last run remains hidden: \(leftovers)"
            )
        }
    }

    /// Rows listed in a sink's manifests.
    static func committedRows(_ manifests: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: manifests)) ?? []
        return names.filter { $0.hasSuffix(".json") }.reduce(0) { total, name in
            guard let data = FileManager.default.contents(atPath: manifests + "/" + name),
                let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let files = manifest["files"] as? [[String: Any]]
            else { return total }
            return total + files.reduce(0) { $0 + ($1["rows"] as? Int ?? 0) }
        }
    }

    @Test func filesRollOnATimerWithoutNewRecords() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            let root = streamq.dataDirectory + "-out"
            let query = streamq.process([
                "query", "SELECT ts, k FROM events", "--follow", "--into", "file://\(root)/r", "--roll-inactivity",
                "500ms",
            ])
            query.standardOutput = Pipe()
            query.standardError = FileHandle.nullDevice
            try query.run()
            defer {
                kill(query.processIdentifier, SIGKILL)
                query.waitUntilExit()
            }
            _ = try streamq.succeed("put", "events", input: Self.records.prefix(10).joined(separator: "\n") + "\n")
            var files: [String] = []
            for _ in 0..<300 where files.isEmpty {  // up to 30 s: a loaded machine may be slow to start it
                usleep(100_000)
                files =
                    (try? FileManager.default.contentsOfDirectory(atPath: root + "/r"))?.filter {
                        $0.hasSuffix(".jsonl")
                    } ?? []
            }
            #expect(files.count == 1, "committed while the query keeps running and no record arrives")
            let text = try String(contentsOfFile: root + "/r/" + (files.first ?? ""), encoding: .utf8)
            #expect(text.lines.count == 10)
        }
    }

    @Test func deliverResumesExactlyOnceAndSendsBadRecordsToErrors() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "2")
            let root = streamq.dataDirectory + "-out"
            let mismatch = #"{"ts":\#(Self.base),"k":"x","n":"not a number","x":1.0,"ok":true}"#
            _ = try streamq.succeed(
                "put",
                "events",
                "--partition-key",
                "p",
                input: (Self.records.prefix(100) + ["not json", mismatch]).joined(separator: "\n") + "\n"
            )
            let first = try streamq.run(
                "deliver",
                "events",
                "--into",
                "file://\(root)/d/{shard}/dt={dt}",
                "--format",
                "parquet",
                "--once"
            )
            #expect(first.status == 0, "\(first.stderr)")
            _ = try streamq.succeed(
                "put",
                "events",
                input: Self.records.dropFirst(100).prefix(50).joined(separator: "\n") + "\n"
            )
            let second = try streamq.run(
                "deliver",
                "events",
                "--into",
                "file://\(root)/d/{shard}/dt={dt}",
                "--format",
                "parquet",
                "--once"
            )
            #expect(
                second.stderr.contains("delivered 50 records")
                    && second.stderr.contains("152 records read since the first run"),
                "\(second.stderr)"
            )
            let seen = try Self.readBack("parquet", root + "/d/**/*.parquet")
            #expect(
                (seen["duckdb"] as? [[String: Any]] ?? []).count == 151,
                "each record once across two runs (n sampled as mixed: VARCHAR)"
            )
            let errors = try FileManager.default.contentsOfDirectory(atPath: root + "/d/_errors")
            let text = try errors.map { try String(contentsOfFile: root + "/d/_errors/" + $0, encoding: .utf8) }
                .joined()
            #expect(text.contains("not valid JSON") && text.contains("sequence_number"), "\(text)")
            // With a given schema the record whose n is not a number goes to _errors/ too.
            _ = try streamq.run(
                "deliver",
                "events",
                "--into",
                "file://\(root)/typed",
                "--format",
                "parquet",
                "--once",
                "--schema",
                "ts BIGINT, k VARCHAR, n BIGINT"
            )
            let typed = try Self.readBack("parquet", root + "/typed/*.parquet")
            #expect((typed["types"] as? [String: String])?["n"] == "int64")
            #expect((typed["duckdb"] as? [[String: Any]] ?? []).count == 150)
            let typedErrors = try FileManager.default.contentsOfDirectory(atPath: root + "/typed/_errors").map {
                try String(contentsOfFile: root + "/typed/_errors/" + $0, encoding: .utf8)
            }.joined()
            #expect(typedErrors.contains("not a number") && typedErrors.contains("BIGINT"), "\(typedErrors)")
            #expect(
                FileManager.default.fileExists(atPath: root + "/d/shardId-000000000000")
                    || FileManager.default.fileExists(atPath: root + "/d/shardId-000000000001")
            )

            _ = try streamq.succeed(
                "deliver",
                "events",
                "--into",
                "file://\(root)/raw",
                "--once",
                "--metadata",
                "--compression",
                "gzip"
            )
            let raw = try Self.readBack("jsonl", root + "/raw/*.jsonl.gz")["duckdb"] as? [[String: Any]] ?? []
            #expect(raw.count == 152)
            #expect(Set(raw.compactMap { $0["sequence_number"] as? String }).count == 152)
        }
    }

    @Test func deliverKeepsItsColumnsWhenNewRecordsBringNewFields() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            let root = streamq.dataDirectory + "-out"
            _ = try streamq.succeed("put", "events", input: Self.records.prefix(20).joined(separator: "\n") + "\n")
            _ = try streamq.succeed("deliver", "events", "--into", "file://\(root)/d", "--format", "parquet", "--once")
            // A new field changes what a fresh sample would see; the saved columns stay.
            _ = try streamq.succeed("put", "events", input: #"{"ts":\#(Self.base),"k":"new","extra":1}"# + "\n")
            let second = try streamq.run(
                "deliver",
                "events",
                "--into",
                "file://\(root)/d",
                "--format",
                "parquet",
                "--once"
            )
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("delivered 1 records"), "\(second.stderr)")
        }
    }

    @Test func deliverWritesTimesGivenAsTextAsParquetTimestamps() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            let root = streamq.dataDirectory + "-out"
            let lines = (0..<30).map { #"{"ts":"2026-01-01T00:00:\#(10 + $0)Z","n":\#($0)}"# }
            _ = try streamq.succeed("put", "events", input: lines.joined(separator: "\n") + "\n")
            let delivered = try streamq.run(
                "deliver",
                "events",
                "--into",
                "file://\(root)/d",
                "--format",
                "parquet",
                "--once"
            )
            #expect(delivered.status == 0 && delivered.stderr.contains("delivered 30 records"), "\(delivered.stderr)")
            let read = try Self.readBack("parquet", root + "/d/*.parquet", orderBy: "n")
            let rows = read["duckdb"] as? [[String: Any]] ?? []
            #expect(rows.count == 30)
            #expect(rows.first?["ts"] as? String == "2026-01-01T00:00:10.000Z", "\(rows.first ?? [:])")
            #expect((read["types"] as? [String: String])?["ts"]?.hasPrefix("timestamp") == true, "\(read)")
        }
    }

    @Test func badDestinationsAreRefusedBeforeAnyRow() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            for url in ["ftp://host/x", "file://relative/path", "file:///tmp/a/../b", "file:///tmp/x/{nope}"] {
                let outcome = try streamq.run("query", "SELECT k FROM events", "--into", url)
                #expect(outcome.status != 0 && outcome.stderr.contains("sink"), "\(url): \(outcome.stderr)")
            }
            let badBucket = try streamq.run("query", "SELECT k FROM events", "--into", "s3://Not_A_Bucket/x")
            #expect(badBucket.status != 0 && badBucket.stderr.contains("not an S3 bucket name"), "\(badBucket.stderr)")
            let root = streamq.dataDirectory + "-out"
            _ = try streamq.succeed("query", "SELECT k FROM events", "--into", "file://\(root)/once")
            let again = try streamq.run("query", "SELECT k FROM events", "--into", "file://\(root)/once")
            #expect(again.status != 0 && again.stderr.contains("already holds committed results"))
            let follow = try streamq.run("query", "SELECT k FROM events", "--into", "file://\(root)/once", "--follow")
            #expect(follow.status != 0 && follow.stderr.contains("bounded query's results"), "\(follow.stderr)")
        }
    }
}
