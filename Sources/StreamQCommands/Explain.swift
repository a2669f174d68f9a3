import ArgumentParser
import StreamQSQL

/// `streamq explain`: how a query would run, without running it.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show how a query runs: what it reads, its window, watermark, emission, late-row policy and state bound."
    )

    @Argument(help: "The query.") var sql: String

    func run() throws {
        do {
            StandardStreams.writeOutput(try QueryPlanner.plan(sql).explanation + "\n")
        } catch {
            throw CommandFailure(error.rendered(in: sql))
        }
    }
}
