import FoundationEssentials
import StreamQStorage

/// The saved progress of a named follow query (`streamq query --follow --name Q`): per shard the
/// next sequence to read, the shards finished, the watermarks, the open windows' state and the
/// counts, in `<data-dir>/queries/<name>/checkpoint.json`, replaced atomically.
///
/// ``StandardFollowOutput`` saves it right after each batch of rows is written, so a restarted query
/// neither re-reads records already folded into its state nor emits a window twice. The one gap: a
/// crash between writing rows to stdout and saving can repeat that last batch (file sinks close that
/// gap by committing files and state together).
public struct QueryCheckpoint: Sendable {
    public let name: String
    public let path: String

    /// - Throws: when `name` could escape the queries directory or is otherwise unusable.
    public init(name: String, dataDirectory: String) throws(SQLError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || "._-".utf8.contains(byte)
        }
        guard allowed, !name.isEmpty, name.utf8.count <= 128, !name.hasPrefix(".") else {
            throw SQLError(
                "query name '\(name)' must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'",
                at: SourceLocation(line: 1, column: 1, offset: 0)
            )
        }
        self.name = name
        path = dataDirectory + "/queries/" + name + "/checkpoint.json"
    }

    /// The saved state, or nil when this query has not run before.
    public func load() throws -> [UInt8]? {
        guard FileSystem.exists(path) else { return nil }
        return try FileSystem.readFile(path)
    }

    public func save(_ state: [UInt8]) throws {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try FileSystem.createDirectories(directory)
        try FileSystem.writeAtomically(state, to: path)
    }
}

extension FollowState {
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

    /// JSON has no infinities or NaN, which a state can hold (a JSON number such as 1e999 reads as
    /// infinity, and median keeps its values): they are saved as these strings.
    private static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity,
            negativeInfinity: nonFinite.negativeInfinity,
            nan: nonFinite.nan
        )
        return decoder
    }

    /// The query text a saved state belongs to.
    static func queryText(of bytes: [UInt8]) -> String? {
        (try? decoder.decode(Saved.self, from: Data(bytes)))?.sql
    }

    /// The state as JSON, with the query text it belongs to.
    func encoded() throws -> [UInt8] {
        let saved = Saved(
            sql: query.plan.statement.text,
            positions: positions,
            finished: finished,
            startedAny: startedAny,
            watermarks: query.watermarks,
            aggregation: query.aggregation.snapshot,
            rowsIn: query.statistics.rowsIn,
            rowsOut: query.statistics.rowsOut,
            errors: query.statistics.errors,
            late: query.statistics.late
        )
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Self.nonFinite.positiveInfinity,
            negativeInfinity: Self.nonFinite.negativeInfinity,
            nan: Self.nonFinite.nan
        )
        return Array(try encoder.encode(saved))
    }

    /// A state saved by ``encoded()``; refused when it belongs to another query text.
    init(decoding bytes: [UInt8], plan: QueryPlan, idleTimeout: Int64, origin: String) throws {
        let saved: Saved
        do {
            saved = try Self.decoder.decode(Saved.self, from: Data(bytes))
        } catch {
            // The decoder's error describes Swift types, not the file: say what the user can act on.
            throw SQLError(
                "the saved state in \(origin) is unreadable; remove it to start over",
                at: plan.statement.source.location
            )
        }
        guard saved.sql == plan.statement.text else {
            throw SQLError(
                "\(origin) was saved by a different query; use another name or destination, or remove it",
                at: plan.statement.source.location
            )
        }
        var query = ContinuousQuery(plan: plan, idleTimeout: idleTimeout)
        query.restore(
            watermarks: saved.watermarks,
            aggregation: saved.aggregation,
            statistics: QueryStatistics(
                rowsIn: saved.rowsIn,
                rowsOut: saved.rowsOut,
                errors: saved.errors,
                late: saved.late
            ),
            now: FollowQueryRunner.wallClock()
        )
        self.init(query: query, positions: saved.positions, finished: saved.finished, startedAny: saved.startedAny)
    }
}

extension FollowQueryRunner {
    /// The query text of a state a run saved (a checkpoint or a sink's manifest), so a writer that
    /// derived its query (deliver's sampled columns) resumes with the same one.
    public static func queryText(ofSavedState bytes: [UInt8]) -> String? { FollowState.queryText(of: bytes) }
}

/// Where a saved follow state says the query is, for status displays.
public struct FollowProgress: Sendable, Equatable {
    /// Per shard being read, the next sequence to read.
    public var positions: [ShardID: UInt64]
    public var finished: Set<ShardID>
    /// The event-time watermark, nil until every active shard delivered a row.
    public var watermark: Int64?
    public var statistics: QueryStatistics
}

extension FollowQueryRunner {
    /// The progress recorded in a state a run saved, or nil when it cannot be read.
    public static func progress(ofSavedState bytes: [UInt8]) -> FollowProgress? {
        guard let query = FollowState.queryText(of: bytes),
            let plan = try? QueryPlanner.plan(query),
            let state = try? FollowState(decoding: bytes, plan: plan, idleTimeout: 0, origin: "")
        else { return nil }
        return FollowProgress(
            positions: state.positions,
            finished: state.finished,
            watermark: state.query.watermark,
            statistics: state.query.statistics
        )
    }
}
