import ArgumentParser
import Logging
import StreamQPipelines
import StreamQSQL
import StreamQStorage
import UnixSignals

/// `streamq run`: hosts the data directory's persistent queries in the foreground, without the
/// Kinesis server.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the data directory's persistent queries in the foreground (streamq serve runs them too).",
        discussion: """
            Starts every query created by CREATE STREAM … AS SELECT or INSERT INTO … SELECT (and not stopped) from \
            its checkpoint, restarts a failing one with backoff, and picks up queries created, stopped or started \
            meanwhile from another process. SIGINT or SIGTERM stop it: each query commits its progress first.
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try store.refuseRemote("run")
        try await Self.host(store)
    }

    /// Hosts the persistent queries of the data directory until SIGINT or SIGTERM.
    static func host(_ store: StoreOptions) async throws {
        try await store.withStore { store in
            let host = QueryHost(store: store, logger: Logger(label: "streamq.queries"))
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            StandardStreams.writeOutput("running the persistent queries of \(store.directory)\n")
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await host.run() }
                group.addTask { for await _ in signals { break } }
                await group.next()
                group.cancelAll()
            }
        }
    }
}

/// `streamq queries …`: the persistent queries, as `SHOW QUERIES`, `DESCRIBE QUERY` and the rest.
struct Queries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queries",
        abstract: "List, describe, stop, start or terminate persistent queries.",
        subcommands: [List.self, Describe.self, Stop.self, Start.self, Terminate.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the persistent queries (SHOW QUERIES)."
        )
        @OptionGroup var store: StoreOptions
        func run() async throws { try await Statements.run("SHOW QUERIES", store: store) }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "describe",
            abstract: "Show a query's SQL, state, counts, watermark, lag per source shard and state size."
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "The query's name.") var name: String
        func run() async throws {
            try await Statements.run("DESCRIBE QUERY \(Statement.quotedName(name))", store: store)
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stop",
            abstract: "Stop a query; START resumes it where it stopped."
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "The query's name.") var name: String
        func run() async throws { try await Statements.run("STOP QUERY \(Statement.quotedName(name))", store: store) }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Start a stopped query from its checkpoint."
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "The query's name.") var name: String
        func run() async throws { try await Statements.run("START QUERY \(Statement.quotedName(name))", store: store) }
    }

    struct Terminate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "terminate",
            abstract: "Remove a query and its state (its output and error streams remain)."
        )
        @OptionGroup var store: StoreOptions
        @Argument(help: "The query's name.") var name: String
        func run() async throws {
            try await Statements.run("TERMINATE QUERY \(Statement.quotedName(name))", store: store)
        }
    }
}
