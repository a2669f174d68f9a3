import Foundation
import Testing

/// Runs the built `streamq` binary the way a user would, in a scratch data directory.
struct CommandRunner {
    let dataDirectory: String

    /// The `streamq` executable next to the test bundle (override with STREAMQ_BIN).
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["STREAMQ_BIN"] { return URL(fileURLWithPath: path) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("streamq")
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `body` in a fresh scratch directory, off the threads async tests share: it blocks
    /// (waiting for processes, sleeping, reading pipes), and blocking one of the few threads Swift's
    /// concurrency has (two on a two-core machine) would freeze every async test in the run
    /// meanwhile. It stays in the test's task, so what it records counts for the test.
    static func withScratch<T>(_ body: (CommandRunner) throws -> T) async throws -> T {
        try await withTaskExecutorPreference(SerialQueueExecutor()) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "streamq-cli-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try body(CommandRunner(dataDirectory: directory.appendingPathComponent("data").path))
        }
    }

    func process(_ arguments: [String], executable: URL = CommandRunner.executable) -> Process {
        signal(SIGPIPE, SIG_IGN)  // writing to a child we killed must fail, not end the test run
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["STREAMQ_DATA_DIR"] = dataDirectory
        process.environment = environment
        return process
    }

    @discardableResult
    func run(_ arguments: String..., input: String? = nil) throws -> Outcome {
        try run(arguments, input: input.map { Data($0.utf8) })
    }

    func run(_ arguments: [String], input: Data?, executable: URL = CommandRunner.executable) throws -> Outcome {
        let process = process(arguments, executable: executable)
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        let writer = Thread {
            if let input { try? stdin.fileHandleForWriting.write(contentsOf: input) }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errorData = Locked(Data())
        let errorReader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errorData.value, as: UTF8.self)
        )
    }

    /// Runs and expects success, returning stdout.
    func succeed(_ arguments: String..., input: String? = nil) throws -> String {
        let outcome = try run(arguments, input: input.map { Data($0.utf8) })
        #expect(outcome.status == 0, "streamq \(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
        return outcome.stdout
    }
}

/// Reads `handle` until `done` says the text so far is enough, the writer closes it, or `timeout`
/// passes, so a child that goes silent makes a test fail instead of hang.
func readOutput(
    _ handle: FileHandle,
    timeout: TimeInterval = 30,
    until done: @escaping @Sendable (String) -> Bool
) -> String {
    let collected = Locked("")
    let finished = DispatchSemaphore(value: 0)
    Thread {
        var text = ""
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            collected.set(text)
            if done(text) { break }
        }
        finished.signal()
    }.start()
    _ = finished.wait(timeout: .now() + timeout)
    return collected.value
}

/// A value one thread sets and another waits for.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    private var wasSet = false
    init(_ value: Value) { stored = value }
    func set(_ value: Value) {
        lock.withLock {
            stored = value
            wasSet = true
        }
    }
    var value: Value { lock.withLock { stored } }
    var isSet: Bool { lock.withLock { wasSet } }
}

extension String {
    var lines: [String] {
        split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }
}

/// A task executor that runs its jobs on a serial dispatch queue: its threads are not the few
/// that async tests share, so a job may block.
private final class SerialQueueExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "streamq-tests.blocking")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
