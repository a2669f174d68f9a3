import StreamQSQL
import StreamQStorage

/// Carries out the statements that create, feed and manage streams and persistent queries
/// (`CREATE STREAM … AS`, `INSERT INTO`, `REPLACE QUERY`, `DROP STREAM`, `SHOW …`, `DESCRIBE`,
/// `STOP`, `START`, `TERMINATE QUERY`) on a data directory. Definitions go to the catalog; a
/// ``QueryHost`` (in `streamq serve` or `streamq run`) runs them.
public struct StatementRunner: Sendable {
    public let store: StreamStore
    public let catalog: QueryCatalog

    public init(store: StreamStore) {
        self.store = store
        catalog = QueryCatalog(dataDirectory: store.directory)
    }

    /// Carries out `statement` (parsed from `text`); a `SELECT` is not for this runner.
    public func execute(_ statement: Statement, text: String) async throws -> StatementResult {
        switch statement {
        case .select:
            throw PipelineError("a SELECT is run by the query engine, not as a statement")
        case .createStream(let create):
            return try createStream(create, text: text)
        case .insert(let insert):
            let definition = try register(insert, text: text, name: try catalog.nextInsertName(into: insert.target))
            return .message("query \(definition.name) inserts into \(insert.target)")
        case .replaceQuery(let name, let insert):
            return try await replace(name, with: insert, text: text)
        case .dropStream(let name, let ifExists):
            return try await drop(name, ifExists: ifExists)
        case .showStreams:
            return try showStreams()
        case .showQueries:
            return QueryDescription.table(try catalog.definitions().map { try QueryDescription(of: $0, in: self) })
        case .describeQuery(let name):
            return try QueryDescription(of: try existing(name), in: self).details
        case .stopQuery(let name):
            return try setDesiredState(name, .stopped)
        case .startQuery(let name):
            return try setDesiredState(name, .running)
        case .terminateQuery(let name):
            _ = try existing(name)
            try catalog.remove(name)
            return .message("query \(name) terminated; its output stream and \(name)_errors remain")
        }
    }

    private func createStream(_ create: Statement.CreateStream, text: String) throws -> StatementResult {
        let name = try StreamName(validating: create.insert.target)
        if try store.listStreams().contains(name) {
            if create.ifNotExists { return .message("stream \(name) already exists; nothing done") }
            throw PipelineError("stream '\(name)' already exists; use INSERT INTO \(name) SELECT … to feed it")
        }
        if try catalog.definition(name.rawValue) != nil {
            throw PipelineError("a query named '\(name)' already exists; TERMINATE QUERY \(name) first")
        }
        _ = try check(create.insert, name: name.rawValue, text: text)
        let retention = try create.retention.map(Self.parseRetention) ?? .seconds(24 * 3600)
        try store.createStream(name, shardCount: create.shards ?? 1, retention: retention)
        let definition = try register(create.insert, text: text, name: name.rawValue)
        return .message("created stream \(name) and query \(definition.name)")
    }

    /// Checks the query (it plans, its source exists, PARTITION BY names its columns) and saves it
    /// to run.
    private func register(_ insert: Statement.Insert, text: String, name: String) throws -> QueryDefinition {
        _ = try check(insert, name: name, text: text)
        let target = try StreamName(validating: insert.target)
        guard try store.listStreams().contains(target) else {
            throw PipelineError("stream '\(target)' does not exist; CREATE STREAM \(target) AS SELECT … makes one")
        }
        guard try catalog.definition(name) == nil else { throw PipelineError("a query named '\(name)' already exists") }
        let definition = QueryDefinition(
            name: name,
            statement: text,
            target: target.rawValue,
            desiredState: .running,
            producerID: Self.newProducerID(),
            createdAt: FollowQueryRunner.wallClock()
        )
        try catalog.save(definition)
        return definition
    }

    /// Plans the query and checks its source and PARTITION BY.
    func check(_ insert: Statement.Insert, name: String, text: String) throws -> QueryPlan {
        try QueryDefinition.validateName(name)
        let plan: QueryPlan
        do {
            plan = try QueryPlanner.plan(insert.query)
        } catch {
            throw PipelineError(error.rendered(in: text))
        }
        let source = try StreamName(validating: plan.stream)
        guard try store.listStreams().contains(source) else { throw PipelineError("stream '\(source)' does not exist") }
        if source.rawValue == insert.target {
            throw PipelineError("a query cannot write into the stream it reads ('\(source)')")
        }
        _ = try PersistentQuery.partitionKey(insert, plan: plan, query: name)
        return plan
    }

    /// `REPLACE QUERY`: the new text takes over the old one's output; see ``QueryDefinition/suppressWindowsEndingBy``.
    private func replace(_ name: String, with insert: Statement.Insert, text: String) async throws -> StatementResult {
        var definition = try existing(name)
        var insert = insert
        insert.target = definition.target
        let plan = try check(insert, name: name, text: text)
        // The old query must stop (committing) before its place is read, or it could emit more.
        let desired = definition.desiredState
        definition.desiredState = .stopped
        try catalog.save(definition)
        try await waitUntilStopped(name)
        // However slow its last commit, the old run holds this until it has made it.
        let lock = try await QueryRunLock.acquire(folder: catalog.folder(of: name), query: name, timeout: .seconds(30))
        defer { lock.release() }
        definition.desiredState = desired
        let progress = try catalog.progress(of: name)?.follow
        definition.statement = text
        definition.producerID = Self.newProducerID()
        if plan.isWindowed, let watermark = progress?.watermark {
            definition.suppressWindowsEndingBy = watermark
        } else {
            definition.suppressWindowsEndingBy = nil
        }
        definition.resumePositions = !plan.isWindowed ? progress?.positions : nil
        definition.resumeFinished = !plan.isWindowed ? progress?.finished : nil
        try catalog.removeCheckpoint(name)
        try catalog.save(definition)
        return .message("query \(name) replaced")
    }

    /// Waits until no live host runs the query (a host writes its status at least every second).
    private func waitUntilStopped(_ name: String) async throws {
        let deadline = FollowQueryRunner.wallClock() + 30_000
        while let status = catalog.status(of: name), status.state != .stopped,
            FollowQueryRunner.wallClock() - status.updatedAt < QueryStatus.staleAfter
        {
            guard FollowQueryRunner.wallClock() < deadline else {
                throw PipelineError(
                    "query \(name) did not stop within 30 s; its host (process \(status.hostProcess)) may be stuck"
                )
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func drop(_ name: String, ifExists: Bool) async throws -> StatementResult {
        let stream = try StreamName(validating: name)
        guard try store.listStreams().contains(stream) else {
            if ifExists { return .message("stream \(name) does not exist; nothing done") }
            throw PipelineError("stream '\(name)' does not exist")
        }
        for definition in try catalog.definitions() {
            if definition.target == name {
                throw PipelineError(
                    "stream '\(name)' is written by query \(definition.name); TERMINATE QUERY \(definition.name) first"
                )
            }
            if (try? QueryPlanner.plan(try definition.insert().query).stream) == name {
                throw PipelineError(
                    "stream '\(name)' is read by query \(definition.name); TERMINATE QUERY \(definition.name) first"
                )
            }
            if definition.errorStream == name {
                throw PipelineError(
                    "stream '\(name)' is query \(definition.name)'s error stream; TERMINATE QUERY \(definition.name) first"
                )
            }
        }
        try await store.deleteStream(stream)
        return .message("dropped stream \(name)")
    }

    private func showStreams() throws -> StatementResult {
        let definitions = try catalog.definitions()
        var rows: [[String]] = []
        for stream in try store.listStreams() {
            let description = try store.describeStream(stream)
            let writers = definitions.filter { $0.target == stream.rawValue }.map(\.name)
            rows.append([
                stream.rawValue, String(description.shards.filter(\.isOpen).count), writers.joined(separator: ", "),
            ])
        }
        return StatementResult(columns: ["stream", "open_shards", "written_by"], rows: rows)
    }

    private func setDesiredState(_ name: String, _ state: QueryDefinition.DesiredState) throws -> StatementResult {
        var definition = try existing(name)
        definition.desiredState = state
        try catalog.save(definition)
        return .message("query \(name) \(state == .running ? "started" : "stopped")")
    }

    func existing(_ name: String) throws -> QueryDefinition {
        guard let definition = try catalog.definition(name) else {
            throw PipelineError("no query named '\(name)' (SHOW QUERIES lists them)")
        }
        return definition
    }

    static func newProducerID() -> UInt64 { UInt64.random(in: 1...UInt64.max) }

    /// `7d`, `24h`, `90m`, `3600s`: a positive duration.
    static func parseRetention(_ text: String) throws -> Duration {
        guard let duration = DurationText.parse(text), duration > .zero else {
            throw PipelineError("retention '\(text)' must be a count and a unit: '7d', '24h', '90m' or '3600s'")
        }
        return duration
    }
}

/// What a statement answers: a table, or one line. Encoded as it is in `POST /v1/sql`'s answer.
public struct StatementResult: Sendable, Equatable, Codable {
    public var columns: [String]
    public var rows: [[String]]
    public var message: String?

    public init(columns: [String], rows: [[String]], message: String? = nil) {
        self.columns = columns
        self.rows = rows
        self.message = message
    }

    static func message(_ text: String) -> StatementResult { StatementResult(columns: [], rows: [], message: text) }
}

extension StatementRunner {
    /// A query's description (what `DESCRIBE QUERY` shows).
    public func describe(_ name: String) throws -> QueryDescription {
        try QueryDescription(of: try existing(name), in: self)
    }
}
