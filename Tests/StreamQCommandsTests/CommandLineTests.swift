import Foundation
import StreamQSampleData
import Testing

@Suite(.serialized) struct CommandLineTests {
    @Test func createPutReadDescribeRoundTrip() async throws {
        try await CommandRunner.withScratch { streamq in
            #expect(
                try streamq.succeed("create-stream", "logs", "--shards", "4") == "created stream logs with 4 shards\n"
            )
            #expect(try streamq.succeed("list-streams") == "logs\n")
            let generated = try streamq.succeed("gen", "access-logs", "--count", "2000", "--seed", "3")
            #expect(generated.lines.count == 2000)
            #expect(generated == AccessLogGenerator(count: 2000, seed: 3).map { $0 + "\n" }.joined())

            let put = try streamq.run("put", "logs", "--key-field", "user", input: generated)
            #expect(put.status == 0)
            #expect(put.stderr == "stored 2000 records in logs\n")

            let read = try streamq.succeed("read", "logs")
            #expect(read.lines.sorted() == generated.lines.sorted())
            #expect(try streamq.succeed("read", "logs", "--limit", "7").lines.count == 7)

            let described = try streamq.succeed("describe-stream", "logs", "--json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(described.utf8)) as? [String: Any])
            let shards = try #require(json["Shards"] as? [[String: Any]])
            #expect(shards.count == 4)
            #expect(shards.compactMap { $0["StoredRecords"] as? Int }.reduce(0, +) == 2000)
            #expect((shards[0]["HashKeyRange"] as? [String: String])?["StartingHashKey"] == "0")

            // --key-field routes each user to one shard.
            let metadata = try streamq.succeed("read", "logs", "--json").lines.map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            var shardOfUser: [String: String] = [:]
            for record in metadata {
                let user = try #require(record["partitionKey"] as? String)
                let shard = try #require(record["shard"] as? String)
                #expect(shardOfUser.updateValue(shard, forKey: user) ?? shard == shard)
            }
        }
    }

    /// Without a key, `put` gives each run of 64 lines a fresh random key (15 hex digits), and the
    /// runs spread evenly over the shards.
    @Test func putWithoutAKeySpreadsRunsOfLinesOverTheShards() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "4")
            let lines = (0..<64_000).map { "line \($0)" }
            let put = try streamq.run("put", "logs", input: lines.joined(separator: "\n") + "\n")
            #expect(put.stderr == "stored 64000 records in logs\n")
            let records = try streamq.succeed("read", "logs", "--json").lines.map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            #expect(records.count == 64_000)
            var keyOfLine: [Int: String] = [:]
            var linesOnShard: [String: Int] = [:]
            for record in records {
                let data = try #require(record["data"] as? String)
                let line = try #require(Int(data.dropFirst("line ".count)))
                let key = try #require(record["partitionKey"] as? String)
                #expect(key.count == 15 && key.allSatisfy(\.isHexDigit))
                keyOfLine[line] = key
                linesOnShard[try #require(record["shard"] as? String), default: 0] += 1
            }
            for run in stride(from: 0, to: 64_000, by: 64) {
                #expect(Set((run..<run + 64).map { keyOfLine[$0] }).count == 1, "lines \(run)...\(run + 63)")
            }
            #expect(Set(keyOfLine.values).count == 1000)
            // 1,000 runs over 4 shards: 250 each on average; 175 would be over 5 standard deviations off.
            #expect(linesOnShard.count == 4)
            #expect(linesOnShard.values.allSatisfy { $0 >= 175 * 64 })
        }
    }

    @Test func readStartsWhereAskedAndFollowsTheLineage() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "events")
            _ = try streamq.succeed("put", "events", "--partition-key", "k", input: "one\ntwo\nthree\n")
            let records = try streamq.succeed("read", "events", "--json").lines.map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            let second = try #require(records[1]["sequenceNumber"] as? String)
            #expect(try streamq.succeed("read", "events", "--from", "at:\(second)") == "two\nthree\n")
            #expect(try streamq.succeed("read", "events", "--from", "after:\(second)") == "three\n")
            #expect(try streamq.succeed("read", "events", "--from", "latest") == "")
            #expect(try streamq.succeed("read", "events", "--from", "time:2000-01-01T00:00:00Z") == "one\ntwo\nthree\n")
            #expect(try streamq.succeed("read", "events", "--from", "time:2999-01-01T00:00:00Z") == "")

            #expect(
                try streamq.succeed("split-shard", "events", "--shard", "0")
                    == "split shardId-000000000000 into shardId-000000000001 and shardId-000000000002\n"
            )
            _ = try streamq.succeed("put", "events", "--partition-key", "k", input: "four\n")
            #expect(try streamq.succeed("read", "events") == "one\ntwo\nthree\nfour\n")
            #expect(
                try streamq.succeed("merge-shards", "events", "--shard", "1", "--adjacent-shard", "2")
                    == "merged shardId-000000000001 and shardId-000000000002 into shardId-000000000003\n"
            )
            _ = try streamq.succeed("put", "events", "--partition-key", "k", input: "five\n")
            #expect(try streamq.succeed("read", "events") == "one\ntwo\nthree\nfour\nfive\n")
            let table = try streamq.succeed("describe-stream", "events")
            #expect(table.contains("shards     4 (1 open)"))
        }
    }

    @Test func errorsAreOneLineWithANonZeroExit() async throws {
        try await CommandRunner.withScratch { streamq in
            for arguments in [
                ["create-stream", "../escape"], ["read", "missing"], ["describe-stream", "missing"],
                ["put", "missing"], ["create-stream", "ok", "--retention", "forever"],
            ] {
                let outcome = try streamq.run(arguments, input: nil)
                #expect(outcome.status != 0, "\(arguments)")
                #expect(outcome.stderr.lines.count == 1, "\(arguments): \(outcome.stderr)")
                #expect(outcome.stderr.hasPrefix("streamq: error: "), "\(arguments): \(outcome.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: streamq.dataDirectory + "/escape"))
            _ = try streamq.succeed("create-stream", "dup")
            let duplicate = try streamq.run("create-stream", "dup")
            #expect(duplicate.stderr == "streamq: error: stream 'dup' already exists\n")
        }
    }

    @Test func putRejectsLinesItCannotStoreAndSaysWhich() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs")
            let input = #"{"user":"a","n":1}"# + "\nnot json\n" + #"{"n":3}"# + "\n" + #"{"user":"b","n":4}"# + "\n"
            let outcome = try streamq.run("put", "logs", "--key-field", "user", input: input)
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("line 2 not stored: invalid JSON"))
            #expect(outcome.stderr.contains("line 3 not stored: no field 'user'"))
            #expect(outcome.stderr.contains("stored 2 records in logs; rejected 2 lines (not stored)"))
            #expect(
                try streamq.succeed("read", "logs").lines.sorted() == [#"{"user":"a","n":1}"#, #"{"user":"b","n":4}"#]
            )

            let errorsFile = streamq.dataDirectory + "-errors.jsonl"
            let quiet = try streamq.run("put", "logs", "--key-field", "user", "--errors", errorsFile, input: "oops\n")
            #expect(quiet.status == 1)
            let saved = try String(contentsOfFile: errorsFile, encoding: .utf8)
            #expect(saved.hasPrefix(#"{"line":1,"reason":"invalid JSON"#))
            #expect(saved.contains(#""data":"oops"}"#))
        }
    }

    @Test func aSecondWriterProcessIsRefusedWhileTheFirstHoldsTheLock() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs")
            let holder = streamq.process(["put", "logs"])
            let stdin = Pipe()
            holder.standardInput = stdin
            holder.standardError = Pipe()
            try holder.run()
            defer {
                try? stdin.fileHandleForWriting.close()
                holder.waitUntilExit()
            }
            // The holder names itself in the LOCK file once it has the lock.
            let lockFile = streamq.dataDirectory + "/LOCK"
            for _ in 0..<500 {
                if let text = try? String(contentsOfFile: lockFile, encoding: .utf8),
                    text.contains("pid \(holder.processIdentifier) ")
                {
                    break
                }
                usleep(20_000)
            }
            let outcome = try streamq.run("put", "logs", input: "x\n")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("is locked for writing by pid \(holder.processIdentifier)"))
        }
    }

    @Test func killingPutMidStreamLosesNothingItReportedStored() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "2")
            let lines = Array(AccessLogGenerator(count: 200_000, seed: 11))
            let put = streamq.process(["put", "logs", "--partition-key", "k", "--batch-size", "500", "--progress"])
            let stdin = Pipe()
            let stderr = Pipe()
            put.standardInput = stdin
            put.standardError = stderr
            try put.run()
            let feeder = Thread {
                for chunk in stride(from: 0, to: lines.count, by: 1000) {
                    let text = lines[chunk..<min(chunk + 1000, lines.count)].joined(separator: "\n") + "\n"
                    do { try stdin.fileHandleForWriting.write(contentsOf: Data(text.utf8)) } catch { return }
                    usleep(5_000)  // a steady stream, so the kill lands mid-way
                }
            }
            feeder.start()
            // Wait for a few durable commits, then kill -9 in the middle of the stream.
            @Sendable func highest(_ text: String) -> Int {
                text.lines.compactMap { $0.hasPrefix("stored ") ? Int($0.dropFirst(7)) : nil }.max() ?? 0
            }
            let progress = readOutput(stderr.fileHandleForReading) { highest($0) >= 20_000 }
            kill(put.processIdentifier, SIGKILL)
            let reported = highest(progress)
            put.waitUntilExit()
            #expect(put.terminationReason == .uncaughtSignal)
            #expect(reported >= 20_000)

            // One partition key: one shard, in input order. Every reported record reads back intact.
            let stored = try streamq.succeed("read", "logs").lines
            #expect(stored.count >= reported)
            #expect(stored.count < lines.count, "the kill landed before put finished")
            #expect(Array(stored.prefix(reported)) == Array(lines.prefix(reported)))
            #expect(
                Array(stored) == Array(lines.prefix(stored.count)),
                "nothing partial or out of order after the kill"
            )
        }
    }

    @Test func aFailedWriteIsReportedAndLosesNothingAcknowledged() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs")
            let lines = Array(AccessLogGenerator(count: 20_000, seed: 5))
            // A 256-block file-size limit makes a segment write fail part way through (EFBIG).
            let limited = streamq.process(
                [
                    "-c", "ulimit -f 256 && exec \"$0\" \"$@\"", CommandRunner.executable.path,
                    "put", "logs", "--partition-key", "k", "--zstd-level", "0", "--batch-size", "100", "--progress",
                ],
                executable: URL(fileURLWithPath: "/bin/sh")
            )
            let stdin = Pipe()
            let stderr = Pipe()
            limited.standardInput = stdin
            limited.standardError = stderr
            try limited.run()
            @Sendable func highest(_ text: String) -> Int {
                text.lines.compactMap { $0.hasPrefix("stored ") ? Int($0.dropFirst(7)) : nil }.max() ?? 0
            }
            // The first lines fit under the limit: wait until they are acknowledged, so the failure
            // comes after some progress whatever the machine's speed; then send the rest.
            let first = 200
            try stdin.fileHandleForWriting.write(
                contentsOf: Data((lines[..<first].joined(separator: "\n") + "\n").utf8)
            )
            let early = readOutput(stderr.fileHandleForReading) { highest($0) >= first }
            #expect(highest(early) >= first)
            try? stdin.fileHandleForWriting.write(
                contentsOf: Data((lines[first...].joined(separator: "\n") + "\n").utf8)
            )
            try? stdin.fileHandleForWriting.close()
            let output = early + String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            limited.waitUntilExit()

            #expect(limited.terminationStatus == 1)
            let errors = output.lines.filter { $0.hasPrefix("streamq: error:") }
            #expect(errors.count == 1)
            #expect(errors.first?.contains("pwrite") == true)
            #expect(errors.first?.contains("File too large") == true)
            let reported = highest(output)
            #expect(reported >= first)
            #expect(reported < lines.count)

            // Reopened without the limit: everything acknowledged is there, nothing partial, and
            // writing works again.
            let stored = try streamq.succeed("read", "logs").lines
            #expect(stored == Array(lines.prefix(reported)))
            _ = try streamq.succeed("put", "logs", "--partition-key", "k", input: "after\n")
            #expect(try streamq.succeed("read", "logs").lines.last == "after")
        }
    }

    /// `tail -F app.log | streamq put logs`: a line is stored while stdin stays open, without
    /// waiting for a batch to fill or for the input to end.
    @Test func putStoresEachLineWhileStdinStaysOpen() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "2")
            let put = streamq.process(["put", "logs"])
            let stdin = Pipe()
            put.standardInput = stdin
            put.standardError = Pipe()
            try put.run()
            func waitForRecords(_ expected: [String]) throws -> [String] {
                let deadline = Date().addingTimeInterval(20)
                var stored: [String] = []
                while Date() < deadline {
                    stored = try streamq.succeed("read", "logs").lines.sorted()
                    if stored == expected { break }
                    usleep(50_000)
                }
                return stored
            }
            try stdin.fileHandleForWriting.write(contentsOf: Data("first\n".utf8))
            #expect(try waitForRecords(["first"]) == ["first"])
            try stdin.fileHandleForWriting.write(contentsOf: Data("second\nthird\n".utf8))
            #expect(try waitForRecords(["first", "second", "third"]) == ["first", "second", "third"])
            try stdin.fileHandleForWriting.close()
            put.waitUntilExit()
            #expect(put.terminationStatus == 0)
        }
    }

    @Test func aFollowingReaderInAnotherProcessSeesRecordsAsTheyAreStored() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "2")
            let follower = streamq.process(["read", "logs", "--follow"])
            let stdout = Pipe()
            follower.standardOutput = stdout
            follower.standardError = Pipe()
            try follower.run()
            usleep(300_000)
            _ = try streamq.succeed("put", "logs", "--partition-key", "k", input: "one\ntwo\nthree\n")
            let received = readOutput(stdout.fileHandleForReading) { $0.lines.count >= 3 }
            #expect(received.lines == ["one", "two", "three"])
            kill(follower.processIdentifier, SIGTERM)
            follower.waitUntilExit()
            #expect(follower.terminationStatus == 0, "SIGTERM stops a follower cleanly")
        }
    }

    @Test func groupReadsContinueWhereTheLastRunStopped() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "3")
            let first = (0..<10).map { #"{"n":\#($0),"user":"u\#($0 % 4)"}"# }
            _ = try streamq.succeed("put", "logs", "--key-field", "user", input: first.joined(separator: "\n") + "\n")
            #expect(try streamq.succeed("read", "logs", "--group", "billing").lines.sorted() == first.sorted())
            #expect(try streamq.succeed("read", "logs", "--group", "billing") == "")
            let second = (10..<15).map { #"{"n":\#($0),"user":"u\#($0 % 4)"}"# }
            _ = try streamq.succeed("put", "logs", "--key-field", "user", input: second.joined(separator: "\n") + "\n")
            let limited = try streamq.succeed("read", "logs", "--group", "billing", "--limit", "2").lines
            #expect(limited.count == 2)
            let rest = try streamq.succeed("read", "logs", "--group", "billing").lines
            #expect(Set(limited + rest) == Set(second), "nothing skipped, nothing repeated after a clean stop")
            #expect(limited.count + rest.count == 5)

            let groups = try streamq.succeed("groups", "logs")
            #expect(groups.contains("group billing"))
            #expect(groups.lines.filter { $0.hasPrefix("shardId-") }.count == 3)
            #expect(
                groups.lines.filter { $0.hasPrefix("shardId-") }.allSatisfy {
                    $0.contains("  0  ") || $0.hasSuffix(" 0 ms")
                }
            )

            let stats = try streamq.succeed("stats", "logs")
            #expect(stats.contains("total"))
            let totalLine = try #require(stats.lines.first { $0.hasPrefix("total") })
            #expect(totalLine.contains(" 15 "))
            #expect(
                try streamq.succeed("update-shard-count", "logs", "--target", "5") == "logs now has 5 open shards\n"
            )
        }
    }

    @Test func aGroupMemberKilledMidStreamLosesNothingItHadNotCommitted() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "2")
            let lines = (0..<20_000).map { "line-\($0)" }
            _ = try streamq.succeed("put", "logs", input: lines.joined(separator: "\n") + "\n")
            let member = streamq.process(["read", "logs", "--group", "g", "--follow"])
            let stdout = Pipe()
            member.standardOutput = stdout
            member.standardError = Pipe()
            try member.run()
            var seen = readOutput(stdout.fileHandleForReading) { $0.lines.count >= 5_000 }
            // Mid-stream (the pipe is full, so it can print no further), once auto-commit has recorded
            // a checkpoint.
            let state = streamq.dataDirectory + "/streams/logs/groups/g/state.json"
            for _ in 0..<600 {
                if ((try? String(contentsOfFile: state, encoding: .utf8)) ?? "").contains(#""checkpoint""#) { break }
                usleep(50_000)
            }
            kill(member.processIdentifier, SIGKILL)
            member.waitUntilExit()
            // Printed before the kill.
            seen += String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            // The dead member's leases expire 10 s after its last renewal; once it has missed three
            // renewals (6 s) a new member knows to wait for them instead of finishing early.
            sleep(7)
            let rest = try streamq.succeed("read", "logs", "--group", "g").lines
            let first = Set(seen.lines.filter { $0.hasPrefix("line-") })
            #expect(first.union(rest).count == lines.count, "every record was delivered at least once")
            #expect(rest.count < lines.count, "the restart continued after a checkpoint instead of from the start")
        }
    }

    @Test func groupMembersInTwoProcessesSplitTheShards() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs", "--shards", "4")
            var members: [Process] = []
            for _ in 0..<2 {
                let member = streamq.process(["read", "logs", "--group", "g", "--follow"])
                member.standardOutput = Pipe()
                member.standardError = Pipe()
                try member.run()
                members.append(member)
            }
            defer {
                for member in members {
                    kill(member.processIdentifier, SIGTERM)
                    member.waitUntilExit()
                }
            }
            var owners: [String] = []
            for _ in 0..<100 {
                usleep(100_000)
                let table = try streamq.succeed("groups", "logs").lines.filter { $0.hasPrefix("shardId-") }
                owners = table.map { String($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
                if owners.count == 4 && Set(owners).count == 2 && !owners.contains("-")
                    && Dictionary(grouping: owners, by: { $0 }).values.allSatisfy({ $0.count == 2 })
                {
                    break
                }
            }
            #expect(owners.count == 4)
            #expect(Set(owners).count == 2, "two processes, one group: \(owners)")
            #expect(Dictionary(grouping: owners, by: { $0 }).values.map(\.count).sorted() == [2, 2])
        }
    }
}
