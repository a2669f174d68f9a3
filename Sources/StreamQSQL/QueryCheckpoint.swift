import FoundationEssentials
import StreamQStorage

/// The saved progress of a named follow query (`streamq query --follow --name Q`): per shard the
/// next sequence to read, the shards finished, the watermarks, the open windows' state and the
/// counts, in `<data-dir>/queries/<name>/checkpoint.json`, replaced atomically.
///
/// It is saved right after each batch of rows is emitted, so a restarted query neither re-reads
/// records already folded into its state nor emits a window twice. The one gap: a crash between
/// writing rows to stdout and saving can repeat that last batch (file sinks close that gap by
/// committing files and positions together).
public struct QueryCheckpoint: Sendable {
    public let name: String
    public let path: String

    /// - Throws: when `name` could escape the queries directory or is otherwise unusable.
    public init(name: String, dataDirectory: String) throws(SQLError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || "._-".utf8.contains(byte)
        }
        guard allowed, !name.isEmpty, name.utf8.count <= 128, !name.hasPrefix(".") else {
            throw SQLError(
                "query name '\(name)' must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'",
                at: SourceLocation(line: 1, column: 1, offset: 0))
        }
        self.name = name
        path = dataDirectory + "/queries/" + name + "/checkpoint.json"
    }

    private struct Saved: Codable {
        var sql: String
        var positions: [ShardID: UInt64]
        var finished: Set<ShardID>
        var startedAny: Bool
        var watermarks: WatermarkTracker
        var aggregation: AggregationState.Snapshot
        var rowsIn: Int
        var rowsOut: Int
        var errors: Int
        var late: Int
    }

    func save(_ state: FollowState) throws {
        let query = state.query
        let saved = Saved(
            sql: query.plan.statement.text, positions: state.positions, finished: state.finished, startedAny: state.startedAny,
            watermarks: query.watermarks, aggregation: query.aggregation.snapshot, rowsIn: query.statistics.rowsIn,
            rowsOut: query.statistics.rowsOut, errors: query.statistics.errors, late: query.statistics.late)
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try FileSystem.createDirectories(directory)
        try FileSystem.writeAtomically(Array(try JSONEncoder().encode(saved)), to: path)
    }

    /// The saved state, or nil when this query has not run before.
    func load(plan: QueryPlan, idleTimeout: Int64) throws -> FollowState? {
        guard FileSystem.exists(path) else { return nil }
        let saved: Saved
        do {
            saved = try JSONDecoder().decode(Saved.self, from: Data(try FileSystem.readFile(path)))
        } catch {
            throw SQLError("checkpoint \(path) is unreadable (\(error)); remove it to start over", at: plan.statement.source.location)
        }
        guard saved.sql == plan.statement.text else {
            throw SQLError(
                "query '\(name)' was saved for a different query text; use another --name or remove \(path)",
                at: plan.statement.source.location)
        }
        var query = ContinuousQuery(plan: plan, idleTimeout: idleTimeout)
        query.restore(
            watermarks: saved.watermarks, aggregation: saved.aggregation,
            statistics: QueryStatistics(rowsIn: saved.rowsIn, rowsOut: saved.rowsOut, errors: saved.errors, late: saved.late))
        return FollowState(query: query, positions: saved.positions, finished: saved.finished, startedAny: saved.startedAny)
    }
}
