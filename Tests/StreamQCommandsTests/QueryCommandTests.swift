import Foundation
import Testing

/// `streamq query`, `explain` and `sql` as a user runs them.
@Suite(.serialized) struct QueryCommandTests {
    /// 2026-01-01T00:00:00Z in epoch ms.
    static let base: Int64 = 1_767_225_600_000

    static func line(_ seconds: Double, key: String = "a") -> String {
        #"{"ts":\#(base + Int64(seconds * 1000)),"k":"\#(key)","v":1}"#
    }

    static let windowQuery =
        "SELECT window_start, k, count(*) AS n FROM events WATERMARK DELAY INTERVAL '1' SECOND GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k"

    @Test func badRowsAreCountedReportedAndWrittenToTheErrorFile() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "2")
            _ = try streamq.succeed(
                "put",
                "events",
                input: [Self.line(1), "not json", #"{"k":"a"}"#, Self.line(2)].joined(separator: "\n") + "\n"
            )
            let errors = streamq.dataDirectory + "-errors.jsonl"
            let outcome = try streamq.run(
                "query",
                "SELECT k, count(*) AS n FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k",
                "--format",
                "csv",
                "--errors",
                errors,
                "--stats"
            )
            #expect(outcome.status == 3, "rows were skipped: scripts must notice")
            #expect(outcome.stdout == "k,n\r\na,2\r\n")
            #expect(outcome.stderr.contains("rows in 4, rows out 1, late 0, errors 2"))
            let written = try String(contentsOfFile: errors, encoding: .utf8).lines
            #expect(written.count == 2)
            #expect(written.allSatisfy { $0.contains(#""kind":"error""#) && $0.contains(#""sequence_number":""#) })
            #expect(written.contains { $0.contains("not valid JSON") })
            #expect(written.contains { $0.contains("event time is missing") })
        }
    }

    @Test func aFollowedQueryEmitsEachWindowOnceAndResumesFromItsCheckpoint() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "2")
            func start() throws -> (Process, Pipe) {
                let query = streamq.process([
                    "query", Self.windowQuery, "--follow", "--name", "q1", "--idle-timeout", "60s", "--format", "jsonl",
                ])
                let stdout = Pipe()
                query.standardOutput = stdout
                query.standardError = Pipe()
                try query.run()
                return (query, stdout)
            }
            var (query, stdout) = try start()
            // Rows up to 25 s: windows [0,10) and [10,20) close (watermark 24 s) once both shards have delivered.
            _ = try streamq.succeed(
                "put",
                "events",
                "--key-field",
                "k",
                input: [1.0, 5, 12, 25].map { Self.line($0, key: "a") }.joined(separator: "\n") + "\n"
            )
            _ = try streamq.succeed(
                "put",
                "events",
                "--key-field",
                "k",
                input: [2.0, 24].map { Self.line($0, key: "b") }.joined(separator: "\n") + "\n"
            )
            var received = readOutput(stdout.fileHandleForReading, timeout: 20) { $0.lines.count >= 3 }
            #expect(received.lines.count == 3, "\(received)")
            #expect(received.contains(#""window_start":"2026-01-01T00:00:00.000Z","k":"a","n":2"#))
            #expect(received.contains(#""window_start":"2026-01-01T00:00:00.000Z","k":"b","n":1"#))
            #expect(received.contains(#""window_start":"2026-01-01T00:00:10.000Z","k":"a","n":1"#))
            // The checkpoint is saved right after the rows are written: kill once it counts all three.
            let checkpoint = streamq.dataDirectory + "/queries/q1/checkpoint.json"
            for _ in 0..<400 {
                let saved = (try? String(contentsOfFile: checkpoint, encoding: .utf8)) ?? ""
                if saved.contains(#""rowsOut":3"#) { break }
                usleep(50_000)
            }
            kill(query.processIdentifier, SIGKILL)
            query.waitUntilExit()

            // A late row (window [0,10) closed) and rows that close [20,30) arrive while it is down.
            _ = try streamq.succeed(
                "put",
                "events",
                "--key-field",
                "k",
                input: [Self.line(3, key: "a"), Self.line(40, key: "a"), Self.line(41, key: "b")].joined(
                    separator: "\n"
                ) + "\n"
            )
            (query, stdout) = try start()
            received = readOutput(stdout.fileHandleForReading, timeout: 20) { $0.lines.count >= 2 }
            kill(query.processIdentifier, SIGTERM)
            query.waitUntilExit()
            #expect(query.terminationStatus == 0 || query.terminationStatus == 3)
            let lines = received.lines
            #expect(
                !lines.contains { $0.contains("00:00:00.000Z") },
                "nothing emitted before the crash comes out again: \(lines)"
            )
            #expect(lines.contains(#"{"window_start":"2026-01-01T00:00:20.000Z","k":"a","n":1}"#), "\(lines)")
            #expect(lines.contains(#"{"window_start":"2026-01-01T00:00:20.000Z","k":"b","n":1}"#), "\(lines)")
        }
    }

    @Test func aFollowedQueryCarriesOnThroughASplitWithoutLosingOrRepeatingWindows() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            func put(_ range: Range<Int>) throws {
                _ = try streamq.succeed(
                    "put",
                    "events",
                    "--key-field",
                    "k",
                    input: range.map { Self.line(Double($0) / 10, key: "k\($0 % 5)") }.joined(separator: "\n") + "\n"
                )
            }
            try put(0..<50)
            let query = streamq.process([
                "query",
                "SELECT window_start, count(*) AS n FROM events WATERMARK DELAY INTERVAL '0' SECOND GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)",
                "--follow", "--format", "jsonl",
            ])
            let stdout = Pipe()
            query.standardOutput = stdout
            query.standardError = Pipe()
            try query.run()
            _ = readOutput(stdout.fileHandleForReading, timeout: 10) { $0.lines.count >= 4 }
            // Both children get keys (k0 and k2 hash below the middle, the rest above), so their records
            // move the watermark, and records into [10, 11) close [9, 10): no idle timeout, whose
            // wall-clock watermark would make every record late if the put came after it.
            _ = try streamq.succeed("split-shard", "events", "--shard", "0")
            try put(50..<110)  // into the two children, which are read after their parent
            let received = readOutput(stdout.fileHandleForReading, timeout: 20) { $0.lines.count >= 6 }
            kill(query.processIdentifier, SIGTERM)
            query.waitUntilExit()
            let windows = received.lines
            #expect(windows.count == 6, "\(windows)")
            #expect(windows.allSatisfy { $0.hasSuffix(#""n":10}"#) }, "every window complete, once: \(windows)")
        }
    }

    @Test func boundedQueriesHonourFromAndUntilAndRefuseBadOptions() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            _ = try streamq.succeed("put", "events", input: Self.line(1) + "\n")
            let all = try streamq.succeed("query", "SELECT count(*) AS n FROM events", "--format", "csv")
            #expect(all == "n\r\n1\r\n")
            let none = try streamq.succeed(
                "query",
                "SELECT count(*) AS n FROM events",
                "--format",
                "csv",
                "--from",
                "2999-01-01T00:00:00Z"
            )
            #expect(none == "n\r\n0\r\n", "arrival times are now; nothing arrived in 2999")
            let before = try streamq.succeed(
                "query",
                "SELECT count(*) AS n FROM events",
                "--format",
                "csv",
                "--until",
                "2000-01-01T00:00:00Z"
            )
            #expect(before == "n\r\n0\r\n")
            let bad = try streamq.run("query", "SELECT count(*) FROM events", "--from", "someday")
            #expect(bad.status != 0 && bad.stderr.contains("--from"))
            let named = try streamq.run("query", "SELECT count(*) FROM events", "--name", "x")
            #expect(named.status != 0 && named.stderr.contains("--follow"))
            let escape = try streamq.run("query", "SELECT count(*) FROM events", "--follow", "--name", "../x")
            #expect(escape.status != 0 && escape.stderr.contains("query name"))
        }
    }

    /// A window query's 70,000 rows, given at once, are written as lines encoded on every core in
    /// chunks: every row once, in the query's order, the same in JSON lines and CSV.
    @Test func manyRowsAtOnceAreWrittenInOrderInEachFormat() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "1")
            let input = (0..<70_000).map { Self.line(Double($0) * 10, key: "k\($0 % 7)") }
            _ = try streamq.succeed("put", "events", input: input.joined(separator: "\n") + "\n")
            let query = "SELECT window_start, k, count(*) AS n FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k"
            let jsonLines = try streamq.succeed("query", query, "--format", "jsonl").lines
            let csvLines = try streamq.succeed("query", query, "--format", "csv").split(separator: "\r\n")
                .map(String.init)
            #expect(jsonLines.count == 70_000)
            #expect(csvLines.count == 70_001)
            #expect(csvLines.first == "window_start,k,n")
            var previous = ""
            for (index, line) in jsonLines.enumerated() {
                let fields = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                let start = try #require(fields["window_start"] as? String)
                #expect(start > previous, "row \(index) out of order")
                previous = start
                #expect(fields["k"] as? String == "k\(index % 7)")
                #expect(csvLines[index + 1] == "\(start),k\(index % 7),1")
            }
        }
    }

    @Test func explainDescribesThePlan() async throws {
        try await CommandRunner.withScratch { streamq in
            let text = try streamq.succeed(
                "explain",
                "SELECT window_start, count(*) FROM s GROUP BY SESSION(ts, INTERVAL '30' SECOND), user ON LATE UPDATE WITHIN INTERVAL '1' MINUTE"
            )
            #expect(text.contains("SESSION(gap 30 seconds)"))
            #expect(text.contains("late rows   kept for 1 minute"))
            #expect(text.contains("state       open sessions × group keys"))
            #expect(text.contains("fast path   yes"))
            let computedKey = try streamq.succeed("explain", "SELECT lower(user) AS u, count(*) FROM s GROUP BY u")
            #expect(computedKey.contains("fast path   no"))
            let bad = try streamq.run("explain", "SELECT count(* FROM s")
            #expect(bad.status != 0 && bad.stderr.contains("line 1, column"))
        }
    }

    @Test func theSQLShellRunsStatementsAndDotCommands() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events", "--shards", "2")
            _ = try streamq.succeed(
                "put",
                "events",
                input: [Self.line(1), Self.line(2, key: "b")].joined(separator: "\n") + "\n"
            )
            let home = streamq.dataDirectory + "-home"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let shell = streamq.process(["sql"])
            var environment = shell.environment ?? [:]
            environment["HOME"] = home
            shell.environment = environment
            let stdin = Pipe()
            let stdout = Pipe()
            let stderr = Pipe()
            shell.standardInput = stdin
            shell.standardOutput = stdout
            shell.standardError = stderr
            try shell.run()
            let script =
                ".streams\n.schema events\nSELECT k, count(*) AS n\n  FROM events GROUP BY k ORDER BY k;\nSELEC 1;\n!3\n.quit\n"
            try stdin.fileHandleForWriting.write(contentsOf: Data(script.utf8))
            try stdin.fileHandleForWriting.close()
            let output = readOutput(stdout.fileHandleForReading, timeout: 30) { _ in false }
            shell.waitUntilExit()
            let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(output.contains("events  2            2"), "\(output)")
            #expect(output.contains("ts     BIGINT"), "\(output)")
            #expect(output.contains("k      VARCHAR"), "\(output)")
            #expect(output.components(separatedBy: "a  1").count == 3, "the statement, and again through !3: \(output)")
            #expect(errors.contains("expected SELECT"))
            #expect(FileManager.default.fileExists(atPath: home + "/.streamq_history"))
        }
    }
}
