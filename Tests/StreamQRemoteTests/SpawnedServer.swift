import Foundation
import StreamQAWS
import StreamQRemote
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A Kinesis server in a child process for the duration of a test: `streamq serve` on a scratch
/// data directory, or moto's server, until `stop()`. A `streamq serve` can be halted and
/// relaunched on the same address and data directory (one test task drives a server at a time).
/// What blocks (starting a process and reading its address, waiting for it to exit) runs on a
/// thread of its own: the threads async tests share are few (two on a two-core machine), and one
/// held there freezes every other test meanwhile.
final class SpawnedServer: @unchecked Sendable {
    let url: String
    private var process: Process
    private let scratch: URL?
    private let stopSignal: Int32
    /// The `streamq serve` arguments, listening on `url`'s address, for ``relaunch()``.
    private let relaunchArguments: [String]?

    private init(
        url: String,
        process: Process,
        scratch: URL?,
        stopSignal: Int32 = SIGTERM,
        relaunchArguments: [String]? = nil
    ) {
        self.url = url
        self.process = process
        self.scratch = scratch
        self.stopSignal = stopSignal
        self.relaunchArguments = relaunchArguments
    }

    /// The scratch directory (`streamq serve` only), holding `data/`.
    var scratchPath: String? { scratch?.path }

    /// The `streamq` executable next to the test bundle (built by `swift build --product streamq`;
    /// override with STREAMQ_BIN).
    static var streamqExecutable: URL {
        if let path = ProcessInfo.processInfo.environment["STREAMQ_BIN"] { return URL(fileURLWithPath: path) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("streamq")
    }

    /// Starts `streamq serve --listen 127.0.0.1:0` on a new data directory with `arguments` added;
    /// `files` are written into the scratch directory first and `{scratch}` in arguments names it.
    static func streamq(_ arguments: [String] = [], files: [String: String] = [:]) async throws -> SpawnedServer {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "streamq-remote-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        for (name, contents) in files {
            try Data(contents.utf8).write(to: scratch.appendingPathComponent(name))
        }
        let serveArguments =
            [
                "serve", "--data-dir", scratch.appendingPathComponent("data").path,
                "--master-key-file", scratch.appendingPathComponent("keys").path,
            ] + arguments.map { $0.replacingOccurrences(of: "{scratch}", with: scratch.path) }
        let (process, url) = try await onOwnThread { try launchStreamq(serveArguments + ["--listen", "127.0.0.1:0"]) }
        let address = url.replacingOccurrences(of: "http://", with: "")
        return SpawnedServer(
            url: url,
            process: process,
            scratch: scratch,
            relaunchArguments: serveArguments + ["--listen", address]
        )
    }

    /// Starts `streamq` with `arguments` and waits for the address it reports.
    private static func launchStreamq(_ arguments: [String]) throws -> (Process, url: String) {
        let process = Process()
        process.executableURL = streamqExecutable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = readUntil(output.fileHandleForReading, timeout: 30) { $0.contains("\n") }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on ") else {
            process.terminate()
            throw SpawnFailure("streamq serve did not report its address; stdout: \(text)")
        }
        drain(output.fileHandleForReading)
        return (process, String(line.dropFirst("listening on ".count)))
    }

    /// Stops the server process with `signal` (SIGTERM, or SIGKILL for a crash) and keeps its data
    /// directory, for ``relaunch()``.
    func halt(signal: Int32 = SIGTERM) async {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let process = self.process
        _ = try? await onOwnThread { process.waitUntilExit() }
    }

    /// Sends `signal` to the server process: SIGSTOP stalls it, SIGCONT lets it go on.
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Starts `streamq serve` again on the same address and data directory.
    func relaunch() async throws {
        guard let relaunchArguments else { throw SpawnFailure("only a streamq server can be relaunched") }
        process = try await onOwnThread { try Self.launchStreamq(relaunchArguments).0 }
    }

    /// Whether `python3 -m moto.server` can run here.
    static let motoIsAvailable: Bool = {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import moto.server"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    /// Starts moto's server on a free loopback port and waits until it answers.
    static func moto() async throws -> SpawnedServer {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = SpawnedServer(
            url: "http://127.0.0.1:\(port)",
            process: process,
            scratch: nil,
            stopSignal: SIGKILL
        )
        var probeConfiguration = try server.configuration()
        probeConfiguration.retry = RetryBackoff(maxAttempts: 1)
        let answered = try await withClient(probeConfiguration) { probe in
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while clock.now < deadline && process.isRunning {
                if (try? await probe.listStreams()) != nil { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        guard answered else {
            server.stop()
            throw SpawnFailure("moto's server did not answer on port \(port)")
        }
        return server
    }

    /// A client configuration for this server, signed with `credentials`.
    func configuration(
        credentials: SigV4Credentials = SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret")
    ) throws -> KinesisClientConfiguration {
        KinesisClientConfiguration(
            endpoint: try KinesisEndpoint(region: "us-east-1", overrideURL: url),
            credentials: credentials
        )
    }

    /// Stops the server (SIGTERM for streamq, which shuts down cleanly; SIGKILL for moto's
    /// in-memory server, which ignores SIGTERM; SIGKILL too for anything still running 10 s later)
    /// and removes its scratch directory, on a thread of its own: the caller goes on at once.
    func stop() {
        let (process, stopSignal, scratch) = (self.process, self.stopSignal, self.scratch)
        if process.isRunning { kill(process.processIdentifier, stopSignal) }
        Thread {
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            if let scratch { try? FileManager.default.removeItem(at: scratch) }
        }.start()
    }

    /// A TCP port nothing listens on now, from the kernel.
    private static func freePort() throws -> Int {
        let socket = try LoopbackSocket(listening: false)
        defer { socket.close() }
        return socket.port
    }

    /// Reads `handle` until `done` accepts the text, the writer closes it, or `timeout` seconds pass.
    private static func readUntil(
        _ handle: FileHandle,
        timeout: TimeInterval,
        done: @escaping @Sendable (String) -> Bool
    )
        -> String
    {
        let collected = LockedText()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                if done(collected.append(String(decoding: chunk, as: UTF8.self))) { break }
            }
            finished.signal()
        }.start()
        _ = finished.wait(timeout: .now() + timeout)
        return collected.text
    }

    /// Keeps reading `handle` so the child never blocks on a full pipe.
    private static func drain(_ handle: FileHandle) {
        Thread { while !handle.availableData.isEmpty {} }.start()
    }
}

struct SpawnFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Text one thread appends to and another reads.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = ""

    /// Appends `more` and returns the whole text.
    func append(_ more: String) -> String {
        lock.withLock {
            stored += more
            return stored
        }
    }

    var text: String { lock.withLock { stored } }
}

/// Runs `body` with a client for `configuration`, shutting the client down afterwards.
func withClient<T>(
    _ configuration: KinesisClientConfiguration,
    _ body: (KinesisClient) async throws -> T
) async throws -> T {
    let client = KinesisClient(configuration: configuration)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Runs `body` with a `streamq serve` started with `arguments` (see ``SpawnedServer/streamq(_:files:)``).
func withStreamqServer<T>(
    _ arguments: [String] = [],
    files: [String: String] = [:],
    _ body: (SpawnedServer) async throws -> T
) async throws -> T {
    let server = try await SpawnedServer.streamq(arguments, files: files)
    defer { server.stop() }
    return try await body(server)
}

/// Runs blocking `work` on a thread of its own and waits for it without holding one of the threads
/// async tests share. The caller waits, so `work` never runs on two threads at once.
func onOwnThread<T: Sendable>(_ work: @escaping () throws -> T) async throws -> T {
    nonisolated(unsafe) let work = work
    return try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
