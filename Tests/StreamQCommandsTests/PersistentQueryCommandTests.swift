import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Persistent queries as a user drives them from the CLI: `streamq query` with CREATE STREAM … AS
/// (a bounded backfill), the statements in `streamq sql`, `streamq run` hosting what they start,
/// and `streamq queries`.
@Suite(.serialized) struct PersistentQueryCommandTests {
    static let base: Int64 = 1_767_225_600_000

    static func lines(_ range: Range<Int>) -> String {
        range.map { #"{"ts":\#(base + Int64($0) * 100),"status":\#([200, 404, 500][$0 % 3]),"id":\#($0)}"# }
            .joined(separator: "\n") + "\n"
    }

    @Test func aBoundedCreateStreamBackfillsFromHistoryAndStops() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "access", "--shards", "2")
            _ = try streamq.succeed("put", "access", input: Self.lines(0..<300))
            let created = try streamq.succeed(
                "query",
                "CREATE STREAM failures WITH (shards = 2, retention = '7d') AS SELECT id, status FROM access WHERE status >= 500"
            )
            #expect(created == "100 rows into stream failures\n")
            #expect(
                try streamq.succeed("query", "SELECT count(*) AS n FROM failures", "--format", "csv") == "n\r\n100\r\n"
            )
            #expect(try streamq.succeed("describe-stream", "failures").contains("shardId-000000000001"))
            let again = try streamq.run("query", "CREATE STREAM failures AS SELECT id FROM access")
            #expect(again.status == 1)
            #expect(again.stderr.contains("stream 'failures' already exists; use INSERT INTO failures SELECT"))
            #expect(
                try streamq.succeed("query", "INSERT INTO failures SELECT id, status FROM access WHERE id < 10")
                    == "10 rows into stream failures\n"
            )
            #expect(
                try streamq.succeed("query", "SHOW QUERIES").contains("(0 rows)"),
                "a backfill leaves no query behind"
            )
        }
    }

    @Test func statementsInTheShellStartQueriesThatStreamqRunHostsAndStopsCleanly() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "access", "--shards", "2")
            _ = try streamq.succeed("put", "access", input: Self.lines(0..<300))
            let shell = try streamq.succeed(
                "sql",
                input: """
                    CREATE STREAM copy AS SELECT id, status FROM access;
                    INSERT INTO copy SELECT id, 'again' AS status FROM access WHERE id < 5;
                    SHOW QUERIES;
                    DROP STREAM access;
                    """
            )
            #expect(shell.contains("created stream copy and query copy"))
            #expect(shell.contains("query copy_insert_1 inserts into copy"))
            #expect(shell.contains("copy_insert_1  not hosted  access"))
            let run = streamq.process(["run"])
            let stdout = Pipe()
            let stderr = Pipe()
            run.standardOutput = stdout
            run.standardError = stderr
            try run.run()
            #expect(readOutput(stdout.fileHandleForReading) { $0.contains("running the persistent queries") } != "")
            var listed: [String: [String]] = [:]
            for _ in 0..<200 {
                listed = try Self.queries(streamq)
                if listed["copy"]?[5] == "300" && listed["copy_insert_1"]?[5] == "5" { break }
                usleep(50_000)
            }
            #expect(listed["copy"] == ["copy", "running", "access", "copy", "300", "300", "0", "0", "0"], "\(listed)")
            #expect(listed["copy_insert_1"]?[1] == "running")
            let described = try streamq.succeed("queries", "describe", "copy")
            #expect(described.contains("lag shardId-000000000000  0 records, 0 ms"))
            #expect(try streamq.succeed("queries", "stop", "copy_insert_1") == "query copy_insert_1 stopped\n")
            kill(run.processIdentifier, SIGTERM)
            run.waitUntilExit()
            #expect(run.terminationStatus == 0)
            let rows = try streamq.succeed("read", "copy").lines
            #expect(rows.count == 305)
            #expect(Set(rows).count == 305)
            #expect(try Self.queries(streamq)["copy"]?[1] == "not hosted", "no host runs it any more")
            #expect(try Self.queries(streamq)["copy_insert_1"]?[1] == "stopped")
            #expect(
                try streamq.succeed("queries", "terminate", "copy")
                    == "query copy terminated; its output stream and copy_errors remain\n"
            )
            let missing = try streamq.run("queries", "describe", "copy")
            #expect(missing.status == 1)
            #expect(missing.stderr == "streamq: error: no query named 'copy' (SHOW QUERIES lists them)\n")
        }
    }

    /// `streamq queries list` as rows by query name (columns are separated by two or more spaces).
    static func queries(_ streamq: CommandRunner) throws -> [String: [String]] {
        let lines = try streamq.succeed("queries", "list").lines.dropFirst().dropLast()
        return Dictionary(
            lines.map { line in
                let columns = line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                return (columns[0], columns)
            },
            uniquingKeysWith: { first, _ in first }
        )
    }
}
