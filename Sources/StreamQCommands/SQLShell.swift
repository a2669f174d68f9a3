import ArgumentParser
import FoundationEssentials
import StreamQRemote
import StreamQSQL
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// `streamq sql`: an interactive shell for bounded queries over the data directory.
struct SQLShell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Interactive SQL shell (statements end with ';'; .help lists the commands).",
        discussion: """
            On a terminal, lines are edited with libedit: arrow keys, Up/Down for earlier statements, Ctrl-R to \
            search them, Tab to complete keywords, functions, stream names and the fields of the streams the \
            statement reads. History is kept in ~/.streamq_history, or the file STREAMQ_HISTORY names (.history \
            lists it, !N runs entry N again). Piped input is read as plain lines.
            """
    )

    @OptionGroup var store: StoreOptions

    static let help = """
        Statements end with ';' and may span lines: SELECT queries run bounded; CREATE STREAM … AS SELECT and
        INSERT INTO … SELECT start persistent queries (run by streamq serve or streamq run); DROP STREAM, SHOW
        STREAMS, SHOW QUERIES, DESCRIBE / STOP / START / TERMINATE QUERY and REPLACE QUERY manage them. Commands:
          .help               this text
          .streams            the streams in the data directory, with record counts
          .schema STREAM      fields and types inferred from a sample of the stream's records
          .explain QUERY      how a query would run
          .history            statements run before; !N runs number N again
          .quit               leave (Ctrl-D too)
        On a terminal, Tab completes keywords, functions, streams and fields; Up/Down and Ctrl-R recall
        earlier statements.
        """

    func run() async throws {
        var reader = LineReader()
        var history = ShellHistory()
        let editor = isatty(0) == 1 ? LineEditor(history: history.entries) : nil
        let catalog = SQLShellCatalog(store: store)
        if editor != nil {
            let source = store.remoteEndpoint ?? store.resolvedDirectory
            StandardStreams.writeOutput("streamq sql: \(source). Type .help for help.\n")
        }
        var pending = ""
        func remember(_ entry: String) {
            history.add(entry)
            editor?.addHistory(entry)
        }
        while true {
            let text: String
            if let editor {
                let statement = pending.isEmpty ? "" : pending + "\n"
                let prompt = pending.isEmpty ? "streamq> " : "     ...> "
                guard
                    let edited = await editor.readLine(
                        prompt: prompt,
                        completer: { before, after in
                            catalog.candidates(before: statement + before, after: after)
                        }
                    )
                else { break }
                text = edited
            } else {
                guard let bytes = try reader.nextLine() else { break }
                text = String(decoding: bytes, as: UTF8.self)
            }
            var line = String(
                text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }
                    .reversed()
            )
            if pending.isEmpty, line.hasPrefix("!"), let number = Int(line.dropFirst()) {
                guard let entry = history.entry(number) else {
                    StandardStreams.writeError("no history entry \(number)\n")
                    continue
                }
                StandardStreams.writeOutput(entry + "\n")
                line = entry
            }
            if pending.isEmpty && line.hasPrefix(".") {
                if line == ".quit" || line == ".exit" { break }
                remember(line)
                await command(line, history: history)
                continue
            }
            guard !line.isEmpty else { continue }
            pending += (pending.isEmpty ? "" : "\n") + line
            guard pending.hasSuffix(";") else { continue }
            let statement = pending
            pending = ""
            remember(statement)
            await runQuery(statement)
        }
        if editor != nil { StandardStreams.writeOutput("\n") }
    }

    private func command(_ line: String, history: ShellHistory) async {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        do {
            switch parts[0] {
            case ".help": StandardStreams.writeOutput(Self.help + "\n")
            case ".history":
                for (index, entry) in history.entries.enumerated() {
                    StandardStreams.writeOutput("\(index + 1)  \(entry)\n")
                }
            case ".explain":
                guard parts.count == 2 else { throw CommandFailure(".explain needs a query") }
                do {
                    StandardStreams.writeOutput(try QueryPlanner.plan(parts[1]).explanation + "\n")
                } catch {
                    throw CommandFailure(error.rendered(in: parts[1]))
                }
            case ".streams":
                let rows = try await streamRows()
                StandardStreams.writeOutput(
                    TextTable.render(header: ["stream", "open shards", "records"], rows: rows).joined(separator: "\n")
                        + "\n"
                )
            case ".schema":
                guard parts.count == 2 else { throw CommandFailure(".schema needs a stream name") }
                let stream = try streamName(parts[1])
                try await store.withBackend(mode: .readOnly) { backend in
                    let schema = try await SchemaInference.sample(backend, stream: stream)
                    let rows = schema.fields.map {
                        [$0.name, $0.type, "\(Int(($0.presence * 100).rounded()))%", $0.example]
                    }
                    var text = TextTable.render(header: ["field", "type", "present", "example"], rows: rows).joined(
                        separator: "\n"
                    )
                    text +=
                        "\n(from \(schema.sampled) records\(schema.notJSON > 0 ? "; \(schema.notJSON) not JSON, see _raw" : ""))\n"
                    StandardStreams.writeOutput(text)
                }
            default:
                throw CommandFailure("unknown command \(parts[0]); .help lists them")
            }
        } catch {
            Self.report(error)
        }
    }

    /// `.streams`: name, open shards and stored records (a Kinesis endpoint does not say how many
    /// records a stream holds: "-").
    private func streamRows() async throws -> [[String]] {
        if let endpoint = store.remoteEndpoint {
            return try await store.withRemote(endpoint) { client in
                var rows: [[String]] = []
                for name in try await client.listStreams() {
                    let summary = try await client.describeStreamSummary(.name(name))
                    rows.append([name, "\(summary.openShardCount)", "-"])
                }
                return rows
            }
        }
        return try await store.withStore(mode: .readOnly) { store in
            try store.listStreams().map { name -> [String] in
                let description = try store.describeStream(name)
                let records = description.shards.reduce(0) { $0 + $1.storedSequences.count }
                return [name.rawValue, "\(description.openShards.count)", "\(records)"]
            }
        }
    }

    private func runQuery(_ sql: String) async {
        do {
            if Parser.isManagementStatement(sql) { return try await Statements.run(sql, store: store) }
            let plan: QueryPlan
            do {
                plan = try QueryPlanner.plan(sql)
            } catch {
                throw CommandFailure(error.rendered(in: sql))
            }
            let writer = ResultWriter(columns: plan.columns, format: "table")
            let reporter = try ErrorReporter(path: nil)
            let clock = ContinuousClock()
            let started = clock.now
            let statistics = try await store.withBackend(mode: .readOnly) { backend in
                let runner = BoundedQueryRunner(
                    plan: plan,
                    backend: backend,
                    stream: try streamName(plan.stream),
                    parallelism: ProcessInfo.processInfo.activeProcessorCount
                )
                return try await runner.run(emit: { writer.write($0) }, reportErrors: { reporter.report($0) })
                    .statistics
            }
            writer.finish()
            let skipped = statistics.errors > 0 ? ", \(statistics.errors) rows skipped" : ""
            StandardStreams.writeOutput(
                "(\(statistics.rowsIn) records read in \(started.duration(to: clock.now))\(skipped))\n"
            )
        } catch {
            Self.report(error)
        }
    }
}

extension SQLShell {
    /// A failed statement or command: one line on stderr; the shell goes on.
    static func report(_ error: any Error) {
        let message =
            switch error {
            case let failure as CommandFailure: failure.message
            case let failure as StreamQStorageError: failure.message
            default: "\(error)"
            }
        StandardStreams.writeError("error: \(message)\n")
    }
}

/// The shell's history, kept in the file STREAMQ_HISTORY names, else ~/.streamq_history. A file that
/// cannot be read or written leaves the history to this session.
struct ShellHistory {
    private(set) var entries: [String] = []
    private let path: String?

    init() {
        path =
            getenv("STREAMQ_HISTORY").flatMap { String(validatingCString: $0) }
            ?? getenv("HOME").flatMap { String(validatingCString: $0) }.map { $0 + "/.streamq_history" }
        if let path, let file = fopen(path, "r") {
            defer { fclose(file) }
            var text: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count <= 0 { break }
                text += buffer[0..<count]
            }
            // Entries are separated by NUL so multi-line statements stay whole.
            entries = text.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.suffix(1000)
        }
    }

    func entry(_ number: Int) -> String? { number >= 1 && number <= entries.count ? entries[number - 1] : nil }

    mutating func add(_ entry: String) {
        entries.append(entry)
        guard let path, let file = fopen(path, "a") else { return }
        defer { fclose(file) }
        var bytes = Array(entry.utf8) + [0]
        _ = fwrite(&bytes, 1, bytes.count, file)
    }
}
