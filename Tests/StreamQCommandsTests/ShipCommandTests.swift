import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `streamq ship` as a user runs it, killed with SIGKILL at random moments while logs are written
/// and rotated.
@Suite struct ShipCommandTests {
    /// Writes numbered lines on a thread: `app.log` rotated by rename and by copytruncate in turn,
    /// and a new `job-N.log` now and then.
    final class LogWriter: @unchecked Sendable {
        private let directory: String
        private let stopped = Locked(false)
        private let written = Locked<[String]>([])
        private let finished = DispatchSemaphore(value: 0)

        init(directory: String) { self.directory = directory }

        var lines: [String] { written.value }

        func start() {
            Thread { [self] in
                var all: [String] = []
                var number = 0
                var rotations = 0
                let app = directory + "/app.log"
                while !stopped.value {
                    let line = "app \(number) \(String(repeating: "p", count: number % 61))"
                    append(line, to: app)
                    all.append(line)
                    if number % 300 == 299 {
                        rotations += 1
                        let rotated = directory + "/app.log.\(rotations)"
                        if rotations % 2 == 0 {
                            rename(app, rotated)
                        } else {
                            try? FileManager.default.copyItem(atPath: app, toPath: rotated)
                            truncate(app, 0)
                        }
                    }
                    if number % 500 == 250 {
                        let job = "job \(number / 500)"
                        for index in 0..<40 {
                            let jobLine = "\(job) \(index)"
                            append(jobLine, to: directory + "/job-\(number / 500).log")
                            all.append(jobLine)
                        }
                    }
                    number += 1
                    if number % 20 == 0 { usleep(2000) }
                    written.set(all)
                }
                finished.signal()
            }.start()
        }

        func stop() {
            stopped.set(true)
            finished.wait()
        }

        private func append(_ line: String, to path: String) {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    @Test func killNineAtRandomMomentsNeitherLosesNorRepeatsALine() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            let logs = root + "/logs"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            _ = try streamq.succeed("create-stream", "logs", "--shards", "2")
            let ship = ["ship", "--path", logs + "/*.log*", "--stream", "logs", "--state-dir", root + "/state"]
            let writer = LogWriter(directory: logs)
            writer.start()
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<12 {
                let process = streamq.process(ship + ["--from", "beginning"])
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(UInt32.random(in: 150_000...900_000, using: &generator))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal)
            }
            writer.stop()
            let final = try streamq.run(ship + ["--once"], input: nil)
            #expect(final.status == 0, "\(final.stderr)")
            let written = writer.lines
            #expect(written.count > 1000)

            var messages: [String: Int] = [:]
            var origins: [String: [String]] = [:]
            var lastOffset: [String: Int] = [:]
            var outOfOrder = 0
            for line in try streamq.succeed("read", "logs", "--json").lines {
                guard let envelope = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let key = envelope["partitionKey"] as? String, let data = envelope["data"] as? String,
                    let record = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                    let message = record["message"] as? String, let offset = record["offset"] as? Int
                else {
                    Issue.record("unexpected record \(line)")
                    continue
                }
                messages[message, default: 0] += 1
                origins[message, default: []].append("\(key) \(record["file"] ?? "") @\(offset)")
                if let last = lastOffset[key], offset <= last { outOfOrder += 1 }
                lastOffset[key] = offset
            }
            let duplicates = messages.filter { $0.value > 1 }.keys.sorted()
            let missing = Set(written).subtracting(messages.keys).sorted()
            let (storedTwice, lost) = (duplicates.count, missing.count)
            let unwritten = Set(messages.keys).subtracting(written).count
            #expect(storedTwice == 0, "stored twice, such as \(duplicates.prefix(3).map { ($0, origins[$0] ?? []) })")
            #expect(lost == 0, "lost, such as \(missing.prefix(5))")
            #expect(unwritten == 0)
            #expect(outOfOrder == 0)
        }
    }

    @Test func shipOnceWithAParserThroughTheCommandLine() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
            try Data("level=info msg=\"started\" port=8080\nnot logfmt\n".utf8).write(
                to: URL(fileURLWithPath: root + "/logs/app.log")
            )
            _ = try streamq.succeed("create-stream", "logs")
            let outcome = try streamq.run(
                [
                    "ship", "--path", root + "/logs/*.log", "--stream", "logs", "--state-dir", root + "/state",
                    "--parser", "logfmt", "--once",
                ],
                input: nil
            )
            #expect(outcome.status == 0)
            #expect(outcome.stderr.contains("shipped 2 lines from 1 file to logs (1 not parsed"))
            let records = try streamq.succeed("read", "logs").lines.map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            #expect(records.count == 2)
            #expect(records.first?["port"] as? String == "8080")
            #expect(records.last?["_parse_error"] != nil)
        }
    }

    @Test func metricsHealthAndStatusShowEachFilesLag() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            let log = root + "/logs/app.log"
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
            let text = (0..<500).map { "line \($0)\n" }.joined()
            try Data(text.utf8).write(to: URL(fileURLWithPath: log))
            _ = try streamq.succeed("create-stream", "logs")
            let state = root + "/state"
            let ship = streamq.process([
                "ship", "--path", root + "/logs/*.log", "--stream", "logs", "--state-dir", state, "--from",
                "beginning", "--metrics-listen", "127.0.0.1:0",
            ])
            let stderr = Pipe()
            ship.standardError = stderr
            try ship.run()
            defer { if ship.isRunning { ship.terminate() } }
            let announced = readOutput(stderr.fileHandleForReading) { $0.contains("/metrics\n") }
            let url = try #require(
                announced.split(separator: "\n").first { $0.hasPrefix("metrics on ") }?.dropFirst("metrics on ".count)
            )
            let base = String(url.dropLast("/metrics".count))

            var metrics = ""
            for _ in 0..<300 where !metrics.contains("ship_lines_shipped_total{stream=\"logs\"} 500") {
                Thread.sleep(forTimeInterval: 0.1)
                metrics = try httpGet(base + "/metrics").body
            }
            #expect(metrics.contains("ship_lines_shipped_total{stream=\"logs\"} 500"))
            #expect(metrics.contains("ship_lines_read_total{stream=\"logs\"} 500"))
            #expect(metrics.contains("ship_bytes_read_total{stream=\"logs\"} \(text.utf8.count)"))
            #expect(metrics.contains("ship_lag_bytes{stream=\"logs\",file=\"\(log)\"} 0"))
            #expect(metrics.contains("ship_files_open{stream=\"logs\"} 1"))
            let health = try httpGet(base + "/health")
            #expect(health.status == 200 && health.body == "ok\n")
            #expect(try httpGet(base + "/nothing").status == 404)

            // The checkpoint, which --status reads, is written once a second.
            let size = "\(text.utf8.count)"
            var running = ""
            for _ in 0..<100 {
                running = try streamq.succeed("ship", "--status", "--state-dir", state)
                let columns = running.lines.first { $0.hasPrefix(log) }?.split(separator: " ").prefix(4)
                if columns?.map(String.init) == [log, size, size, "0"] { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(running.contains("a shipper is running"))
            let row = try #require(running.lines.first { $0.hasPrefix(log) })
            #expect(row.split(separator: " ").prefix(4).map(String.init) == [log, size, size, "0"])

            ship.interrupt()
            ship.waitUntilExit()
            #expect(ship.terminationStatus == 0)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(String(repeating: "x", count: 99).utf8 + [0x0A]))
            try handle.close()
            let stopped = try streamq.succeed("ship", "--status", "--state-dir", state)
            #expect(stopped.contains("no shipper running"))
            let after = try #require(stopped.lines.first { $0.hasPrefix(log) })
            #expect(after.split(separator: " ")[3] == "100")
        }
    }

    @Test func aConfigFileShipsEachSourceToItsStreamWithItsParser() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
            try Data("level=info msg=one\nlevel=warn msg=two\n".utf8).write(
                to: URL(fileURLWithPath: root + "/logs/app.log")
            )
            let access = #"10.0.0.1 - - [30/Nov/2026:07:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8""#
            try Data((access + "\n").utf8).write(to: URL(fileURLWithPath: root + "/logs/access.log"))
            _ = try streamq.succeed("create-stream", "app")
            _ = try streamq.succeed("create-stream", "web")
            let config = root + "/ship.yaml"
            try Data(
                """
                state_dir: \(root)/state
                sources:
                  - name: app
                    paths: ["\(root)/logs/app.log"]
                    stream: app
                    parser: logfmt
                  - name: web
                    paths: ["\(root)/logs/access.log"]
                    stream: web
                    parser: nginx
                """.utf8
            ).write(to: URL(fileURLWithPath: config))
            let outcome = try streamq.run(["ship", "--config", config, "--once"], input: nil)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("shipped 2 lines from 1 file to app"))
            #expect(outcome.stderr.contains("shipped 1 line from 1 file to web"))
            let app = try streamq.succeed("read", "app").lines.map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            #expect(app.map { $0["msg"] as? String } == ["one", "two"])
            let web = try streamq.succeed("read", "web").lines.map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            #expect(web.first?["status"] as? Int == 200)
            #expect(web.first?["path"] as? String == "/a")
            #expect(FileManager.default.fileExists(atPath: root + "/state/app/checkpoints.json"))
            #expect(FileManager.default.fileExists(atPath: root + "/state/web/checkpoints.json"))

            // A second run ships nothing again: each source resumes from its own checkpoint.
            let again = try streamq.run(["ship", "--config", config, "--once"], input: nil)
            #expect(again.stderr.contains("shipped 0 lines from 1 file to app"))

            try Data("sources:\n  - {name: a, paths: [x], stream: app, parser: xml}\n".utf8).write(
                to: URL(fileURLWithPath: config)
            )
            let bad = try streamq.run(["ship", "--config", config, "--once"], input: nil)
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("\(config): sources[0].parser must be none, json"))
            let mixed = try streamq.run(["ship", "--config", config, "--path", "x"], input: nil)
            #expect(mixed.stderr.contains("--config takes the sources from the file"))
        }
    }
}

/// A blocking HTTP GET: status and body.
private func httpGet(_ address: String) throws -> (status: Int, body: String) {
    let done = DispatchSemaphore(value: 0)
    let result = Locked<(Int, String)?>(nil)
    URLSession.shared.dataTask(with: URL(string: address)!) { data, response, _ in
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        result.set((status, data.map { String(decoding: $0, as: UTF8.self) } ?? ""))
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 10)
    let (status, body) = try #require(result.value, "no answer from \(address)")
    return (status, body)
}
