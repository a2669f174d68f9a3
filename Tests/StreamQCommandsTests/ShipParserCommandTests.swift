import Foundation
import Testing

/// `streamq ship --parser …` as a user runs it: the records stored from a real log file, and the
/// checks on the parser options.
@Suite struct ShipParserCommandTests {
    @Test func shipOnceWithTheNginxParser() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
            let lines = [
                #"203.0.113.9 - bob [22/Apr/2009:18:52:51 +1200] "GET /index.html?q=1 HTTP/1.1" 304 0 "http://example.com/" "Mozilla/5.0 (X11)""#,
                #"2024/01/02 03:04:05 [error] 123#0: *5 upstream timed out, client: 1.2.3.4, server: example.com, request: "GET /api HTTP/1.1", host: "example.com""#,
                "garbage that is no nginx line",
            ]
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(
                to: URL(fileURLWithPath: root + "/logs/access.log")
            )
            _ = try streamq.succeed("create-stream", "web")
            let outcome = try streamq.run(
                [
                    "ship", "--path", root + "/logs/*.log", "--stream", "web", "--state-dir", root + "/state",
                    "--parser", "nginx", "--once",
                ],
                input: nil
            )
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("shipped 3 lines from 1 file to web (1 not parsed"))
            let records = try streamq.succeed("read", "web").lines.map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            .sorted { ($0["offset"] as? Int ?? 0) < ($1["offset"] as? Int ?? 0) }
            try #require(records.count == 3)
            let access = records[0]
            #expect(access["client"] as? String == "203.0.113.9")
            #expect(access["user"] as? String == "bob")
            #expect(access["time"] as? String == "2009-04-22T06:52:51Z")
            #expect(access["method"] as? String == "GET")
            #expect(access["path"] as? String == "/index.html?q=1")
            #expect(access["status"] as? Int == 304)
            #expect(access["bytes"] as? Int == 0)
            #expect(access["referer"] as? String == "http://example.com/")
            #expect(access["agent"] as? String == "Mozilla/5.0 (X11)")
            #expect(access["message"] as? String == lines[0])
            #expect(access["file"] as? String == root + "/logs/access.log")
            #expect(access["offset"] as? Int == 0)
            let error = records[1]
            #expect(error["level"] as? String == "error")
            #expect(error["time"] as? String == "2024-01-02T03:04:05Z")
            #expect(error["message"] as? String == "upstream timed out")
            #expect(error["http_host"] as? String == "example.com")
            #expect(error["request"] as? String == "GET /api HTTP/1.1")
            #expect(records[2]["_parse_error"] != nil)
            #expect(records[2]["message"] as? String == lines[2])
        }
    }

    @Test func parserOptionsAreChecked() async throws {
        try await CommandRunner.withScratch { streamq in
            let ship = ["ship", "--path", "/nonexistent/*.log", "--stream", "web", "--once"]
            let badRegex = try streamq.run(ship + ["--parser", "regex:(?<a>[unclosed"], input: nil)
            #expect(badRegex.status != 0)
            #expect(badRegex.stderr.contains("regex '(?<a>[unclosed' is not a valid pattern"))
            let badFormat = try streamq.run(ship + ["--time-field", "ts", "--time-format", "%Y %Q"], input: nil)
            #expect(badFormat.status != 0)
            #expect(badFormat.stderr.contains("unknown code %Q"))
            let formatAlone = try streamq.run(ship + ["--time-format", "epoch"], input: nil)
            #expect(formatAlone.stderr.contains("--time-format needs --time-field"))
            let help = try streamq.run(["ship", "--help"], input: nil)
            #expect(help.stdout.contains("regex:<pattern>"))
            #expect(help.stdout.contains("--time-field"))
        }
    }
}
