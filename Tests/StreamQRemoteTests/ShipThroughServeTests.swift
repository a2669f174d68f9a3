import Foundation
import StreamQClient
import StreamQRemote
import StreamQStorage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `streamq ship --endpoint` into a spawned `streamq serve` (issue 12 §2): ship, and the server,
/// killed with SIGKILL at random moments while logs are written and rotated; and a stalled server
/// while files grow. The state directory stays local; the server's producer deduplication makes
/// every resend harmless.
@Suite(.serialized, .timeLimit(.minutes(6))) struct ShipThroughServeTests {
    let stream = StreamName(rawValue: "logs")!

    @Test func killNineOfShipAtRandomMomentsNeitherLosesNorRepeatsALine() async throws {
        try await killAtRandomMoments(shipKills: 15, serverKillsAt: [])
    }

    @Test func killNineOfTheServerTooNeitherLosesNorRepeatsALine() async throws {
        try await killAtRandomMoments(shipKills: 10, serverKillsAt: [2, 5, 8])
    }

    /// Runs `streamq ship` `shipKills` times, each killed with SIGKILL after a random while, as a
    /// writer appends and rotates; during the runs numbered in `serverKillsAt` the server is killed
    /// with SIGKILL too and started again. A final `--once` run ships the rest.
    private func killAtRandomMoments(shipKills: Int, serverKillsAt: Set<Int>) async throws {
        try await withStreamqServer { server in
            let scratch = try #require(server.scratchPath)
            let logs = scratch + "/logs"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            try await withBackend(server) { backend in try await createStream(stream, shards: 2, on: backend) }
            let ship = ShipInvocation(endpoint: server.url, paths: [logs + "/*.log*"], state: scratch + "/state")
            let writer = RotatingLogWriter(directory: logs)
            writer.start()
            var generator = SystemRandomNumberGenerator()
            for run in 0..<shipKills {
                let process = try ship.launch()
                try await Task.sleep(for: .microseconds(UInt64.random(in: 300_000...1_200_000, using: &generator)))
                if serverKillsAt.contains(run) {
                    await server.halt(signal: SIGKILL)
                    try await Task.sleep(for: .microseconds(UInt64.random(in: 0...500_000, using: &generator)))
                    try await server.relaunch()
                    try await Task.sleep(for: .microseconds(UInt64.random(in: 200_000...800_000, using: &generator)))
                }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal)
            }
            writer.stop()
            let final = try ship.launch(once: true)
            try await onOwnThread { final.waitUntilExit() }
            #expect(final.terminationStatus == 0)
            let written = writer.lines
            #expect(written.count > 2000)
            try await withBackend(server) { backend in
                expectEachLineOnceInOrder(try await readAllRecords(backend, stream), written: written)
            }
        }
    }

    /// The server stopped with SIGSTOP while 48 files grow by 64 MiB: ship stops reading at its
    /// in-flight budget (32 MiB of records), so its resident memory stays within the budget plus a
    /// fixed allowance over what it used before; once the server goes on, every line arrives, once.
    @Test func aStalledServerKeepsShipWithinItsBudgetAndEverythingArrivesAfter() async throws {
        try await withStreamqServer { server in
            let scratch = try #require(server.scratchPath)
            let logs = scratch + "/logs"
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            try await withBackend(server) { backend in try await createStream(stream, shards: 2, on: backend) }
            let files = (0..<48).map { logs + "/file-\($0).log" }
            let padding = String(repeating: "x", count: 4000)
            var written: [String] = []
            for (index, file) in files.enumerated() {
                let line = "warm-up \(index)"
                try appendLines([line], to: file)
                written.append(line)
            }
            let ship = ShipInvocation(endpoint: server.url, paths: [logs + "/*.log"], state: scratch + "/state")
            let process = try ship.launch()
            defer {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try await waitUntilAcknowledged(Self.bytes(of: files), state: ship.state)
            let baseline = try #require(Self.residentBytes(of: process.processIdentifier))

            server.send(SIGSTOP)
            defer { server.send(SIGCONT) }
            var peak = baseline
            var grown = 0
            for round in 0..<350 {
                var batch: [String] = []
                for file in files.indices {
                    let line = "stalled \(round) \(file) \(padding)"
                    try appendLines([line], to: files[file])
                    batch.append(line)
                    grown += line.utf8.count + 1
                }
                written += batch
                if round % 10 == 0 { peak = max(peak, Self.residentBytes(of: process.processIdentifier) ?? 0) }
            }
            for _ in 0..<40 {  // reading has caught up with the budget: memory must hold still
                peak = max(peak, Self.residentBytes(of: process.processIdentifier) ?? 0)
                try await Task.sleep(for: .milliseconds(100))
            }
            server.send(SIGCONT)

            let budget = 32 << 20
            let allowance = 16 << 20  // request bodies, read buffers, allocator slack (measured: about 2 MiB)
            #expect(grown > 2 * budget)
            #expect(
                peak - baseline < budget + allowance,
                "resident \(baseline >> 20) MiB before, peak \(peak >> 20) MiB"
            )
            try await waitUntilAcknowledged(Self.bytes(of: files), state: ship.state)
            try await withBackend(server) { backend in
                expectEachLineOnceInOrder(try await readAllRecords(backend, stream), written: written)
            }
        }
    }

    // MARK: Helpers

    private static func bytes(of files: [String]) -> [String: Int] {
        var sizes: [String: Int] = [:]
        for file in files {
            sizes[file] = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        }
        return sizes
    }

    /// Waits (up to two minutes) until ship's checkpoint has every file acknowledged up to `sizes`.
    private func waitUntilAcknowledged(_ sizes: [String: Int], state: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: state + "/checkpoints.json"),
                let checkpoint = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let entries = checkpoint["files"] as? [[String: Any]]
            {
                var acknowledged: [String: Int] = [:]
                for entry in entries {
                    if let path = entry["path"] as? String { acknowledged[path] = entry["ackedOffset"] as? Int }
                }
                if sizes.allSatisfy({ acknowledged[$0.key] == $0.value }) { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("ship did not acknowledge every line within two minutes")
    }

    /// VmRSS of a process, from /proc.
    private static func residentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }
}

/// `streamq ship` through an endpoint, as a user starts it.
private struct ShipInvocation {
    let endpoint: String
    let paths: [String]
    let state: String

    func launch(once: Bool = false) throws -> Process {
        let process = Process()
        process.executableURL = SpawnedServer.streamqExecutable
        process.arguments =
            ["ship", "--endpoint", endpoint, "--stream", "logs", "--state-dir", state, "--from", "beginning"]
            + paths.flatMap { ["--path", $0] } + (once ? ["--once"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "AKIDTEST"
        environment["AWS_SECRET_ACCESS_KEY"] = "test-secret"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Appends `lines` to `path` (creating it), one write per line, as a logging process does.
private func appendLines(_ lines: [String], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    guard fd >= 0 else { throw SpawnFailure("cannot open \(path)") }
    defer { close(fd) }
    for line in lines {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// Writes numbered lines on a thread into `app.log`, rotated by rename every 400 lines, and into
/// `db.log`, until stopped.
private final class RotatingLogWriter: @unchecked Sendable {
    private let directory: String
    private let state = Mutex<(stopped: Bool, lines: [String])>((false, []))
    private let finished = DispatchSemaphore(value: 0)

    init(directory: String) { self.directory = directory }

    var lines: [String] { state.withLock { $0.lines } }

    func start() {
        Thread { [self] in
            var number = 0
            while !state.withLock({ $0.stopped }) {
                var batch = ["app \(number) \(String(repeating: "p", count: number % 61))"]
                try? appendLines([batch[0]], to: directory + "/app.log")
                if number % 3 == 0 {
                    batch.append("db \(number)")
                    try? appendLines([batch[1]], to: directory + "/db.log")
                }
                if number % 400 == 399 { rename(directory + "/app.log", directory + "/app.log.\(number / 400)") }
                number += 1
                if number % 20 == 0 { usleep(2000) }
                state.withLock { $0.lines += batch }
            }
            finished.signal()
        }.start()
    }

    func stop() {
        state.withLock { $0.stopped = true }
        finished.wait()
    }
}

/// Checks that the records' messages are exactly `written`, each once, and that each file's lines
/// (one partition key) are stored in the order of their offsets.
private func expectEachLineOnceInOrder(
    _ records: [StoredRecord],
    written: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var counts: [String: Int] = [:]
    var lastOffset: [String: Int] = [:]
    var outOfOrder = 0
    for record in records {
        guard let fields = try? JSONSerialization.jsonObject(with: Data(record.data)) as? [String: Any],
            let message = fields["message"] as? String, let offset = fields["offset"] as? Int
        else {
            Issue.record("unexpected record \(record.text.prefix(200))", sourceLocation: sourceLocation)
            continue
        }
        counts[message, default: 0] += 1
        if let last = lastOffset[record.partitionKey], offset <= last { outOfOrder += 1 }
        lastOffset[record.partitionKey] = offset
    }
    let duplicates = counts.filter { $0.value > 1 }.keys.sorted()
    let missing = Set(written).subtracting(counts.keys).sorted()
    let unwritten = Set(counts.keys).subtracting(written).sorted()
    let (storedTwice, lost, unexpected) = (duplicates.count, missing.count, unwritten.count)
    #expect(storedTwice == 0, "stored twice, such as \(duplicates.prefix(5))", sourceLocation: sourceLocation)
    #expect(lost == 0, "lost, such as \(missing.prefix(5).map { $0.prefix(40) })", sourceLocation: sourceLocation)
    #expect(unexpected == 0, "never written, such as \(unwritten.prefix(5))", sourceLocation: sourceLocation)
    #expect(outOfOrder == 0, sourceLocation: sourceLocation)
}
