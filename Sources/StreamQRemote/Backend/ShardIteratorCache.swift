import StreamQStorage

/// Where reads left off: per cursor, the shard iterator that continues there and the records
/// already fetched but not yet returned, so reading on costs one GetRecords and no
/// GetShardIterator. Bounded: when full, the entry stored longest ago goes.
struct ShardIteratorCache: Sendable {
    struct Entry: Sendable {
        /// Records fetched (de-aggregated) and not yet returned; the first is at or after the cursor.
        var pending: [StoredRecord]
        /// Instead of `pending`, records not yet returned as their answer lends them.
        var lent: LentRecords? = nil
        /// Continues after `pending`; nil when the shard ends after them.
        var iterator: String?
        /// The shards continuing this one, once `iterator` is nil.
        var childShards: [ShardID]
        var millisBehindLatest: Int64

        /// Whether a read at the cursor can answer from the entry alone.
        var canAnswer: Bool { hasRecords || iterator == nil }

        var hasRecords: Bool { !pending.isEmpty || !(lent?.isEmpty ?? true) }
    }

    private var entries: [ShardCursor: (entry: Entry, stored: UInt64)] = [:]
    private var stores: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Removes and returns the entry for `cursor`.
    mutating func take(_ cursor: ShardCursor) -> Entry? { entries.removeValue(forKey: cursor)?.entry }

    func peek(_ cursor: ShardCursor) -> Entry? { entries[cursor]?.entry }

    mutating func put(_ entry: Entry, at cursor: ShardCursor) {
        stores += 1
        if entries[cursor] == nil, entries.count >= capacity,
            let oldest = entries.min(by: { $0.value.stored < $1.value.stored })?.key
        {
            entries.removeValue(forKey: oldest)
        }
        entries[cursor] = (entry, stores)
    }
}
