import StreamQPipelines
import StreamQRemote
import StreamQSQL
import StreamQStorage

/// Runs the statements that create, feed and manage streams and persistent queries, for `streamq
/// sql`, `streamq query` and `streamq queries`: on the data directory, or through `/v1/sql` of a
/// `streamq serve` given by `--endpoint`.
enum Statements {
    /// Parses `text` and carries it out, printing its table or its one-line answer.
    static func run(_ text: String, store: StoreOptions) async throws {
        let statement: Statement
        do {
            statement = try Parser.parseStatement(text)
        } catch {
            throw CommandFailure(error.rendered(in: text))
        }
        let result = try await execute(statement, text: text, store: store)
        print(result)
    }

    static func execute(_ statement: Statement, text: String, store: StoreOptions) async throws -> StatementResult {
        if store.remoteEndpoint != nil { return try await remote(text, bounded: false, store: store) }
        // Only CREATE STREAM and DROP STREAM change streams; the rest read them and change the query
        // catalog, which a running `streamq serve` or `streamq run` picks up, so they work beside it.
        let mode: StreamStore.AccessMode
        switch statement {
        case .createStream, .dropStream: mode = .readWrite
        default: mode = .readOnly
        }
        do {
            return try await store.withStore(mode: mode) { store in
                try await StatementRunner(store: store).execute(statement, text: text)
            }
        } catch let error as PipelineError {
            throw CommandFailure(error.message)
        }
    }

    /// Sends the statement to the `streamq serve` at `--endpoint`.
    static func remote(_ text: String, bounded: Bool, store: StoreOptions) async throws -> StatementResult {
        guard let endpoint = store.remoteEndpoint else { throw CommandFailure("no --endpoint") }
        do {
            let answer = try await store.withRemote(endpoint) { client in
                try await client.runStatement(text, bounded: bounded)
            }
            return StatementResult(columns: answer.columns, rows: answer.rows, message: answer.message)
        } catch let failure as StatementFailure {
            throw CommandFailure(failure.message)
        }
    }

    static func print(_ result: StatementResult) {
        if let message = result.message { StandardStreams.writeOutput(message + "\n") }
        guard !result.columns.isEmpty else { return }
        let lines = TextTable.render(header: result.columns, rows: result.rows)
        StandardStreams.writeOutput(
            lines.joined(separator: "\n") + "\n(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))\n"
        )
    }
}
