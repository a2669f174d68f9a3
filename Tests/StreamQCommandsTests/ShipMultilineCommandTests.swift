import Foundation
import Testing

/// `streamq ship --multiline` as a user runs it: killed with SIGKILL at random moments while a
/// service writes stack traces, every trace is stored once and whole.
@Suite struct ShipMultilineCommandTests {
    /// Writes, on a thread, a Java trace (in one write, as a logger does) and a plain line, in turn.
    final class TraceWriter: @unchecked Sendable {
        private let path: String
        private let stopped = Locked(false)
        private let written = Locked<[String]>([])
        private let finished = DispatchSemaphore(value: 0)

        init(path: String) { self.path = path }

        /// The records expected: each trace's lines joined with newlines, and each plain line.
        var records: [String] { written.value }

        func start() {
            Thread { [self] in
                var all: [String] = []
                var number = 0
                while !stopped.value {
                    let trace = [
                        "2024-05-01 12:00:00 ERROR [exec-\(number % 8)] request \(number) failed",
                        "java.lang.IllegalStateException: boom \(number)",
                        "\tat com.example.Handler.handle(Handler.java:\(number % 500))",
                        "\tat com.example.Server.run(Server.java:77)",
                        "Caused by: java.io.IOException: disk \(String(repeating: "d", count: number % 41))",
                        "\t... 2 more",
                    ]
                    let plain = "2024-05-01 12:00:00 INFO request \(number) ok"
                    append((trace + [plain]).map { $0 + "\n" }.joined())
                    all += [trace.joined(separator: "\n"), plain]
                    number += 1
                    if number % 10 == 0 { usleep(3000) }
                    written.set(all)
                }
                finished.signal()
            }.start()
        }

        func stop() {
            stopped.set(true)
            finished.wait()
        }

        private func append(_ text: String) {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }

    @Test func killNineMidTraceNeitherSplitsNorRepeatsATrace() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            let logs = root + "/logs"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            _ = try streamq.succeed("create-stream", "logs")
            let ship = [
                "ship", "--path", logs + "/*.log", "--stream", "logs", "--state-dir", root + "/state",
                "--multiline", "java", "--from", "beginning",
            ]
            let writer = TraceWriter(path: logs + "/app.log")
            writer.start()
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<8 {
                let process = streamq.process(ship)
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
            let written = writer.records
            #expect(written.count > 500)

            var stored: [String] = []
            for line in try streamq.succeed("read", "logs", "--json").lines {
                guard let envelope = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let data = envelope["data"] as? String,
                    let record = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                    let message = record["message"] as? String
                else {
                    Issue.record("unexpected record \(line)")
                    continue
                }
                stored.append(message)
            }
            // One file on one shard: the records are the written ones, in order, each once and whole.
            let firstDifference =
                zip(stored, written).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(stored.count, written.count)
            #expect(stored.count == written.count)
            #expect(
                firstDifference == written.count,
                "first difference at \(firstDifference): \(stored.dropFirst(firstDifference).prefix(2))"
            )
        }
    }

    @Test func badMultilineOptionsAreRefusedWithTheReason() async throws {
        try await CommandRunner.withScratch { streamq in
            let ship = ["ship", "--path", "/nonexistent/*.log", "--stream", "logs", "--state-dir", "/nonexistent"]
            let cases: [([String], String)] = [
                (
                    ["--multiline-start", "(unclosed", "--multiline-mode", "halt_with", "--multiline-condition", ";$"],
                    "start pattern '(unclosed' is not a valid regular expression"
                ),
                (
                    ["--multiline-start", "^x", "--multiline-mode", "halt", "--multiline-condition", ";$"],
                    "--multiline-mode must be"
                ),
                (["--multiline-start", "^x"], "go together"),
                (["--multiline", "ruby"], "--multiline must be java, python or go"),
                (["--multiline", "java", "--multiline-mode", "halt_with"], "cannot be combined"),
                (["--multiline", "go", "--multiline-timeout", "0"], "--multiline-timeout must be"),
            ]
            for (options, reason) in cases {
                let outcome = try streamq.run(ship + options, input: nil)
                #expect(outcome.status != 0)
                #expect(outcome.stderr.contains(reason), "\(options): \(outcome.stderr)")
            }
        }
    }
}
