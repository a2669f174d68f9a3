import FoundationEssentials
import StreamQClient
import StreamQSQL
import StreamQSinks
import StreamQStorage

/// Where a persistent query's rows go: its output stream, and the rows it could not use to its
/// error stream, committed exactly once with its progress (see ``OutputCommit``).
final class StreamOutput: FollowOutput, @unchecked Sendable {
    private let catalog: QueryCatalog
    private let definition: QueryDefinition
    private var router: OutputRouter
    private var rows: [[SQLValue]] = []
    private var errors: [RowError] = []
    private var lastCommit: Int64 = 0

    init(router: OutputRouter, catalog: QueryCatalog, definition: QueryDefinition) {
        self.router = router
        self.catalog = catalog
        self.definition = definition
    }

    var stateOrigin: String { catalog.checkpointPath(definition.name) }

    /// Loads the last commit and makes its appends again (the streams store those they lack).
    func restore() async throws -> [UInt8]? {
        let path = catalog.checkpointPath(definition.name)
        guard FileSystem.exists(path) else { return nil }
        let commit = try OutputCommit.decode(try FileSystem.readFile(path), origin: path)
        router.nextSequence = commit.nextSequence
        try await OutputRouter.redrive(commit.appends, producerID: definition.producerID, store: router.store)
        return Array(commit.state.utf8)
    }

    func emit(_ rows: [[SQLValue]], now: Int64) throws { self.rows += rows }

    /// Rows the query skipped, with why; they go to the error stream in the next commit.
    func report(_ errors: [RowError]) { self.errors += errors }

    func shouldCommit(now: Int64, emitted: Bool) -> Bool {
        emitted || !errors.isEmpty || now - lastCommit >= 1000
    }

    /// Saves the state with the appends that carry the rows since the last commit, then makes them.
    func commit(state: [UInt8]) async throws {
        lastCommit = FollowQueryRunner.wallClock()
        var appends = try router.route(rows)
        appends += try errorAppends(now: lastCommit)
        let commit = OutputCommit(
            state: String(decoding: state, as: UTF8.self),
            nextSequence: router.nextSequence,
            appends: appends
        )
        try FileSystem.writeAtomically(try commit.encoded(), to: catalog.checkpointPath(definition.name))
        rows = []
        errors = []
        try await OutputRouter.append(appends, producerID: definition.producerID, store: router.store)
    }

    /// The pending errors as one stamped append to the error stream (one shard), each a JSON
    /// object with the fields of `streamq query --errors`: query, kind (error or late), shard,
    /// sequence_number, reason, reported_at.
    private func errorAppends(now: Int64) throws -> [OutputCommit.PendingAppend] {
        guard !errors.isEmpty else { return [] }
        let prefixes = RowText.jsonPrefixes(["query", "kind", "shard", "sequence_number", "reason", "reported_at"])
        let records = errors.map { error in
            var object: [UInt8] = []
            RowText.appendJSONLine(
                columns: prefixes,
                row: [
                    .string(definition.name), .string(error.kind.rawValue),
                    error.position.map { .string($0.shard.description) } ?? .null,
                    error.position.map { .string($0.description) } ?? .null, .string(error.message), .timestamp(now),
                ],
                to: &object
            )
            object.removeLast()
            return object
        }
        let stream = try StreamName(validating: definition.errorStream)
        let shard = try router.store.shard(for: HashKey.forPartitionKey(definition.name), in: stream)
        return [
            try router.stamped(
                stream: definition.errorStream,
                shard: shard,
                keys: Array(repeating: definition.name, count: records.count),
                records: records
            )
        ]
    }
}
