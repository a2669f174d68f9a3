import ArgumentParser
import Foundation
import Testing

@testable import StreamQCommands

/// Global options (`--data-dir`, `--fsync`, `--zstd-level`, …) work before or after the subcommand.
@Suite(.serialized) struct GlobalOptionTests {
    @Test func leadingGlobalOptionsMoveToJustAfterTheSubcommandPath() {
        #expect(
            GlobalOptions.placedAfterSubcommand(["--data-dir", "D", "gen", "access-logs", "--count", "1"])
                == ["gen", "access-logs", "--data-dir", "D", "--count", "1"]
        )
        #expect(
            GlobalOptions.placedAfterSubcommand([
                "--data-dir=D", "--fsync", "never", "--zstd-level=3", "put", "logs", "--progress",
            ])
                == ["put", "--data-dir=D", "--fsync", "never", "--zstd-level=3", "logs", "--progress"]
        )
        // Options after `--` are values, so the moved options go before it.
        #expect(
            GlobalOptions.placedAfterSubcommand(["--data-dir", "D", "query", "--", "--not-an-option"])
                == ["query", "--data-dir", "D", "--", "--not-an-option"]
        )
        // An option that is not global stays where it was, for ArgumentParser to report.
        #expect(
            GlobalOptions.placedAfterSubcommand(["--bogus", "--data-dir", "D", "read", "logs"])
                == ["--bogus", "read", "--data-dir", "D", "logs"]
        )
    }

    @Test func argumentsStayAsWrittenWhenNoGlobalOptionLeadsOrNoSubcommandFollows() {
        for arguments in [
            ["list-streams", "--data-dir", "D"], ["--data-dir", "D"], ["--data-dir", "D", "--help"], ["--help"],
            ["--data-dir", "D", "no-such-command"], ["read", "logs"], [],
        ] {
            #expect(GlobalOptions.placedAfterSubcommand(arguments) == arguments)
        }
    }

    @Test func commandsTakeGlobalOptionsBeforeTheSubcommand() async throws {
        try await CommandRunner.withScratch { streamq in
            // STREAMQ_DATA_DIR points at streamq.dataDirectory; --data-dir must win wherever it is written.
            let elsewhere = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent()
                .appendingPathComponent("elsewhere").path
            #expect(
                try streamq.succeed("--data-dir", elsewhere, "create-stream", "logs", "--shards", "2")
                    == "created stream logs with 2 shards\n"
            )
            #expect(try streamq.succeed("--data-dir=\(elsewhere)", "list-streams") == "logs\n")
            #expect(try streamq.succeed("list-streams", "--data-dir", elsewhere) == "logs\n")
            #expect(!FileManager.default.fileExists(atPath: streamq.dataDirectory))

            let put = try streamq.run(
                [
                    "--fsync", "interval:50", "--zstd-level=3", "--data-dir", elsewhere, "put", "logs",
                    "--partition-key", "k",
                ],
                input: Data("one\ntwo\n".utf8)
            )
            #expect(put.status == 0, "\(put.stderr)")
            #expect(put.stderr == "stored 2 records in logs\n")
            #expect(try streamq.succeed("--data-dir", elsewhere, "read", "logs") == "one\ntwo\n")
            #expect(try streamq.succeed("--data-dir", elsewhere, "groups", "logs") == "no consumer groups on logs\n")
            let described = try streamq.succeed("--data-dir", elsewhere, "describe-stream", "logs")
            #expect(described.contains("shards     2 (2 open)"))
            #expect(try streamq.succeed("--data-dir", elsewhere, "stats", "logs").contains("total"))
            let count = "SELECT count(*) AS n FROM logs"
            let rows = try streamq.succeed("--data-dir", elsewhere, "query", count, "--format", "csv")
            #expect(rows == "n\r\n2\r\n")  // CSV lines end in CRLF (RFC 4180)
        }
    }

    @Test func aGlobalOptionBeforeTheSubcommandIsCheckedLikeOneAfterIt() async throws {
        try await CommandRunner.withScratch { streamq in
            let policy = try streamq.run(["--fsync", "sometimes", "list-streams"], input: nil)
            #expect(policy.status == 1)
            #expect(
                policy.stderr == "streamq: error: --fsync must be always, never or interval:<ms>, got 'sometimes'\n"
            )

            let level = try streamq.run(["--zstd-level", "high", "list-streams"], input: nil)
            #expect(level.status != 0)
            #expect(level.stderr.contains("--zstd-level"), "\(level.stderr)")
            #expect(!level.stderr.contains("Unknown option"), "\(level.stderr)")
        }
    }

    /// The root command's discussion spells the options out (deriving them from ArgumentParser's
    /// description of ``StoreOptions`` on every start cost each command a few milliseconds), so an
    /// option added to ``StoreOptions`` must be added there too.
    @Test func theRootDiscussionNamesEveryGlobalOption() {
        let discussion = StreamQCommand.configuration.discussion.split(whereSeparator: \.isWhitespace).joined(
            separator: " "
        )
        #expect(discussion.contains("(see its --help): \(GlobalOptions.summary)."), "\(discussion)")
    }

    @Test func theRootHelpListsTheGlobalOptions() async throws {
        try await CommandRunner.withScratch { streamq in
            // The help formatter may wrap between an option and its value name.
            let help = try streamq.succeed("--help").replacingOccurrences(of: "\n", with: " ")
            for option in ["--data-dir <data-dir>", "--fsync <fsync>", "--zstd-level <zstd-level>"] {
                #expect(help.contains(option), "\(help)")
            }
        }
    }
}
