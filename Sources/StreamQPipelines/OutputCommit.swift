import FoundationEssentials
import StreamQSQL
import StreamQStorage

/// What a persistent query saves at each commit, in one file written atomically: its follow state
/// (positions, windows, watermarks) and the appends that carry the rows produced up to that state.
///
/// The appends are saved **before** they are made (a write-ahead record). Each is stamped with the
/// query's producer id and the next sequence of its (stream, shard), so after a crash the query
/// makes the saved appends again and the output stream's producer deduplication stores whichever
/// it had not: every row once, whatever moment the crash hit. The next commit replaces the record.
struct OutputCommit: Codable, Sendable {
    /// The ``FollowQueryRunner`` state as it saved it.
    var state: String
    /// Per "stream/shard", the producer sequence of the next append there.
    var nextSequence: [String: UInt64]
    var appends: [PendingAppend]

    /// One stamped append to one shard.
    struct PendingAppend: Codable, Sendable {
        var stream: String
        /// When the stream was created: an append meant for a stream since dropped and made again
        /// is not made into the new one.
        var streamCreatedAt: Int64
        var shard: ShardID
        var sequence: UInt64
        var keys: [String]
        /// Each record's data: a JSON object (rows and errors are JSON text).
        var records: [String]
    }

    static func decode(_ bytes: [UInt8], origin: String) throws -> OutputCommit {
        do {
            return try JSONDecoder().decode(OutputCommit.self, from: Data(bytes))
        } catch {
            throw PipelineError("the checkpoint \(origin) is unreadable (\(error)); TERMINATE the query to start over")
        }
    }

    func encoded() throws -> [UInt8] { Array(try JSONEncoder().encode(self)) }

    static func stampKey(stream: String, shard: ShardID) -> String { "\(stream)/\(shard.number)" }
}

/// A persistent query's progress as its checkpoint records it.
public struct QueryProgress: Sendable {
    public var follow: FollowProgress?
    /// Bytes of the checkpoint (window state, positions and the last commit's rows).
    public var checkpointBytes: Int

    init(commit: OutputCommit, checkpointBytes: Int) {
        follow = FollowQueryRunner.progress(ofSavedState: Array(commit.state.utf8))
        self.checkpointBytes = checkpointBytes
    }
}
