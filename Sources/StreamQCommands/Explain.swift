import ArgumentParser
import StreamQClient
import StreamQSQL
import StreamQStorage

/// `streamq explain`: how a query would run, without running it.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract:
            "Show how a query runs: what it reads, its window, watermark, emission, late-row policy and state bound."
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "The query.") var sql: String

    func run() async throws {
        let plan: QueryPlan
        do {
            plan = try QueryPlanner.plan(sql)
        } catch {
            throw CommandFailure(error.rendered(in: sql))
        }
        StandardStreams.writeOutput(plan.explanation + "\n" + (await shardLine(plan.stream)) + "\n")
    }

    /// The shards the query would read, from the data directory or the endpoint.
    private func shardLine(_ stream: String) async -> String {
        do {
            let name = try streamName(stream)
            let description = try await store.withBackend(mode: .readOnly) { try await $0.describeStream(name) }
            let open = description.openShards.count
            let closed = description.shards.count - open
            return "shards: \(open) open\(closed > 0 ? ", \(closed) closed (read first, parents before children)" : "")"
                + " — each read in parallel up to its tip as of the start"
        } catch {
            return "shards: unknown (\(error))"
        }
    }
}
