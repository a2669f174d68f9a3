import ArgumentParser
import StreamQSampleData

/// `streamq gen`: deterministic sample data.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate deterministic sample data.",
        subcommands: [AccessLogs.self]
    )

    struct AccessLogs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "access-logs",
            abstract: "Print JSON access-log lines (about 180 bytes each; 2% arrive late by up to 5 s)."
        )

        @Option(help: "How many lines.") var count: Int = 1000
        @Option(help: "The same seed gives the same lines.") var seed: UInt64 = 7

        func run() async throws {
            guard count >= 0 else { throw ValidationError("--count must not be negative") }
            var output = OutputBuffer()
            for line in AccessLogGenerator(count: count, seed: seed) {
                output.append(line)
                output.bytes.append(0x0A)
                output.flushIfLarge()
            }
            output.flush()
        }
    }
}
