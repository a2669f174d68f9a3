import StreamQStorage
import Synchronization

/// Records and bytes written to each shard since the last look: what on-demand scaling decides on.
final class WriteRates: Sendable {
    struct Key: Hashable {
        var stream: StreamName
        var shard: ShardID
    }

    struct Totals {
        var records = 0
        var bytes = 0
    }

    private let totals = Mutex<[Key: Totals]>([:])

    func add(stream: StreamName, shard: ShardID, records: Int, bytes: Int) {
        totals.withLock { all in
            all[Key(stream: stream, shard: shard), default: Totals()].records += records
            all[Key(stream: stream, shard: shard), default: Totals()].bytes += bytes
        }
    }

    /// What was written since the previous call, and starts counting afresh.
    func take() -> [Key: Totals] {
        totals.withLock { all in
            defer { all.removeAll(keepingCapacity: true) }
            return all
        }
    }
}
