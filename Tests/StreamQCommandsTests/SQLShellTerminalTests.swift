import Foundation
import Testing

/// `streamq sql` on a terminal: keys typed into a pseudo-terminal, as a user types them.
@Suite(.serialized) struct SQLShellTerminalTests {
    @Test func tabCompletesStreamsAndFieldsAndUpArrowAndCtrlRRecallStatements() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "access", "--shards", "2")
            let records = [
                #"{"ts":1767225600000,"host":"web-1","status":200}"#,
                #"{"ts":1767225601000,"host":"web-2","status":500}"#,
                #"{"ts":1767225602000,"host":"web-1","status":404}"#,
            ]
            _ = try streamq.succeed("put", "access", input: records.joined(separator: "\n") + "\n")
            let history = streamq.dataDirectory + "-history"
            let command = streamq.process(["sql"])
            command.environment?["TERM"] = "xterm"
            command.environment?["STREAMQ_HISTORY"] = history
            let terminal = PseudoTerminal(command)
            try terminal.run()
            defer { if terminal.process.isRunning { terminal.process.terminate() } }
            /// Whether the shell ran `count` statements and prompts again.
            func readsAfter(_ count: Int) -> (String) -> Bool {
                { output in
                    let parts = output.components(separatedBy: "records read in")
                    return parts.count > count && parts.last!.contains("streamq> ")
                }
            }
            /// Waits until the editor, not the terminal, reads the keys: libedit may write its prompt
            /// before it puts the terminal in raw mode, and keys typed in between meet the terminal's
            /// line discipline (its Ctrl-R reprints the line instead of searching the history). A
            /// Ctrl-A that the terminal echoes as `^A` was typed too early; once it is not echoed, the
            /// editor has it (on an empty line it only moves to the line's start).
            func untilTheEditorReads() {
                for _ in 0..<100 {
                    let before = terminal.read(until: { _ in false }, timeout: 0).count
                    terminal.type("\u{1}")
                    // A second: long enough for a loaded machine to echo.
                    let after = terminal.read(until: { _ in false }, timeout: 1)
                    if !after.dropFirst(before).contains("^A") { return }
                }
            }

            _ = terminal.read(until: { $0.contains("streamq> ") })
            untilTheEditorReads()
            terminal.type("SELECT host, count(*) AS n FROM acc\tWHERE hos\t= 'web-1' GROUP BY host;\r")
            _ = terminal.read(until: readsAfter(1))
            untilTheEditorReads()
            terminal.type("SELECT count(*) AS total FROM access;\r")
            _ = terminal.read(until: readsAfter(2))
            untilTheEditorReads()
            terminal.type("\u{1b}[A\u{1b}[A\r")  // Up twice: the first statement
            _ = terminal.read(until: readsAfter(3))
            untilTheEditorReads()
            terminal.type("\u{12}total\r")  // Ctrl-R: the newest statement containing "total"
            _ = terminal.read(until: readsAfter(4))
            untilTheEditorReads()
            terminal.type("\u{4}")  // Ctrl-D on the empty line: the end
            let output = terminal.read(until: { _ in false }, timeout: 0)
            #expect(terminal.waitForExit(seconds: 30), "the shell did not end at Ctrl-D: \(output)")

            #expect(output.components(separatedBy: "web-1  2").count == 3, "the first statement, twice: \(output)")
            #expect(!output.contains("web-2"), "\(output)")
            #expect(output.components(separatedBy: "total\r\n3").count == 3, "the second, twice: \(output)")
            let saved = try String(contentsOfFile: history, encoding: .utf8)
            #expect(saved.contains("SELECT host, count(*) AS n FROM access WHERE host = 'web-1' GROUP BY host;"))
        }
    }
}

/// A command run on a pseudo-terminal by util-linux's `script`, which relays what the test types
/// to it and what it writes back.
final class PseudoTerminal: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    /// Everything the command wrote so far, collected by one reader thread from the start.
    private var received = ""

    /// `process` as `streamq.process` set it up (arguments and environment), on a terminal.
    init(_ command: Process) {
        let quoted = ([command.executableURL!.path] + (command.arguments ?? [])).map {
            "'" + $0.replacing("'", with: "'\\''") + "'"
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", quoted.joined(separator: " "), "/dev/null"]
        process.environment = command.environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
    }

    /// Starts the command and the thread that collects its output until it ends.
    func run() throws {
        try process.run()
        let handle = output.fileHandleForReading
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { received += String(decoding: chunk, as: UTF8.self) }
            }
        }.start()
    }

    /// Whether the command ended within `seconds` (it is terminated otherwise, so a test never
    /// waits for ever on a shell that did not get its end of input).
    func waitForExit(seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard process.isRunning else { return true }
        process.terminate()
        return false
    }

    func type(_ keys: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data(keys.utf8))
    }

    /// Everything the command wrote so far, once `done` holds for it (or after `timeout` seconds).
    func read(until done: (String) -> Bool, timeout: TimeInterval = 30) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let sofar = lock.withLock { received }
            if done(sofar) || Date() >= deadline { return sofar }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}
