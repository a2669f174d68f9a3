import FoundationEssentials
import StreamQStorage

/// A consumer group's persistent state, `streams/<stream>/groups/<group>/state.json`: members,
/// shard leases and checkpoints. Changed only under the group's `LOCK` (flock), by atomic replace,
/// so members in different processes share it safely and a crash leaves the old or the new state.
struct GroupState: Codable, Sendable, Equatable {
    /// Lease times are on the machine's boot-time clock; a new boot expires every lease.
    var bootID: String = ""
    var members: [String: Member] = [:]
    var shards: [String: ShardLease] = [:]
    /// Where shards start that have no checkpoint yet, fixed when the group is created.
    var initialized = false

    struct Member: Codable, Sendable, Equatable {
        var heartbeat: Int64
        /// When the member counts as gone unless it renews: its heartbeat plus its own lease
        /// duration (members may be configured differently). Nil in state written before it was
        /// kept; such a member is judged by the renewing member's lease duration.
        var expiry: Int64?

        /// Whether the member counts as present at `now` (boot-clock milliseconds); `lease` is the
        /// duration to assume for a member whose own expiry was not recorded.
        func isPresent(at now: Int64, assumingLease lease: Int64) -> Bool {
            (expiry ?? heartbeat + lease) > now
        }
    }

    struct ShardLease: Codable, Sendable, Equatable {
        var owner: String?
        /// Increases on every renewal and takeover: the fencing token of the lease.
        var counter: UInt64 = 0
        var expiry: Int64 = 0
        /// The last processed record, or nil before the first checkpoint.
        var checkpoint: Checkpoint?
        /// Set once the shard (closed by a reshard) has been read and processed to its end.
        var ended = false
        /// Where to start when there is no checkpoint (nil: the group's starting position).
        var startSequence: UInt64?
    }

    struct Checkpoint: Codable, Sendable, Equatable {
        var sequence: UInt64
        var arrival: Int64
    }

    static func load(_ path: String) throws -> GroupState {
        guard FileSystem.exists(path) else { return GroupState() }
        do {
            return try JSONDecoder().decode(GroupState.self, from: Data(FileSystem.readFile(path)))
        } catch let error as StreamQStorageError {
            throw error
        } catch {
            throw StreamQStorageError(.corruption, "consumer group state \(path) is unreadable: \(error)")
        }
    }

    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.writeAtomically(Array(try encoder.encode(self)), to: path)
    }
}
