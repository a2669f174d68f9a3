internal import CIntrinsics
import StreamQStorage

/// Which open shard (a position in ``ShardRoutes/shards``) recently seen partition keys route to,
/// so a key that repeats (the key of the record before, or a `--key-field` of user ids, hosts,
/// tenants) is hashed (MD5) once, not once per record. The last key, then a fixed table of
/// 2 × 8,192 entries, two per slot of a cheap hash of the key's bytes; a key not found is hashed
/// and takes the slot's first entry, the previous one moving to the second. Memory stays the same
/// whatever the keys: keys that never repeat just miss. A route is whatever the caller derives from
/// a key's hash (a position in `ShardRoutes.shards`, a sending lane): one cache per derivation, and
/// a new one when it changes (a reshard).
public struct PartitionKeyRouteCache: Sendable {
    private static let slotCount = 8192
    private struct Entry: Sendable {
        var hash: UInt64 = 0
        var route = -1  // -1: empty
        var key = ""
    }
    /// Two entries per slot, side by side (64 bytes, over two cache lines unless aligned).
    private var entries = [Entry](repeating: Entry(), count: 2 * slotCount)
    private var last = Entry()
    /// Keys not found since this was last reset to 0.
    public var misses = 0

    public init() {}

    /// The position in `routes.shards` of the shard `key` routes to, hashing the key (and
    /// remembering it) if it is not cached.
    @inline(__always)
    public mutating func route(for key: String, in routes: ShardRoutes) -> Int {
        let hash = Self.slotHash(key)
        if let route = cachedRoute(for: key, hash: hash) { return route }
        let route = routes.index(for: .forPartitionKey(key))
        remember(key, hash: hash, route: route)
        return route
    }

    /// Starts loading the table slot `key` would be found in, for a caller that knows the next key
    /// while it still has work to do on the current record: a lookup that misses the CPU's caches
    /// (thousands of keys, and a stream of records passing through) otherwise waits for memory.
    @inline(__always)
    public func prefetch(_ key: String) {
        let first = 2 * (Int(truncatingIfNeeded: Self.slotHash(key)) & (Self.slotCount - 1))
        entries.withUnsafeBufferPointer { entries in
            let slot = UnsafeRawPointer(entries.baseAddress! + first)
            streamq_prefetch(slot)
            streamq_prefetch(slot + 2 * MemoryLayout<Entry>.stride - 1)
        }
    }

    /// The cached route of `key`, or nil (counted as a miss): for a caller that hashes the keys
    /// not found together, eight at a time, and then remembers them.
    public mutating func cachedRoute(for key: String) -> Int? {
        cachedRoute(for: key, hash: Self.slotHash(key))
    }

    /// Caches `route` as the route of `key`.
    public mutating func remember(_ key: String, route: Int) {
        remember(key, hash: Self.slotHash(key), route: route)
    }

    @inline(__always)
    private mutating func cachedRoute(for key: String, hash: UInt64) -> Int? {
        // The hash is compared first: comparing two different strings costs more than hashing one.
        if hash == last.hash && last.route >= 0 && last.key == key { return last.route }
        let first = 2 * (Int(truncatingIfNeeded: hash) & (Self.slotCount - 1))
        if entries[first].hash == hash && entries[first].route >= 0 && entries[first].key == key {
            last = entries[first]
        } else if entries[first + 1].hash == hash && entries[first + 1].route >= 0 && entries[first + 1].key == key {
            last = entries[first + 1]
        } else {
            misses += 1
            return nil
        }
        return last.route
    }

    private mutating func remember(_ key: String, hash: UInt64, route: Int) {
        let first = 2 * (Int(truncatingIfNeeded: hash) & (Self.slotCount - 1))
        last = Entry(hash: hash, route: route, key: key)
        entries[first + 1] = entries[first]
        entries[first] = last
    }

    /// A fast, well-mixed hash of the key's UTF-8 bytes, eight at a time (not Swift's seeded
    /// `Hasher`, which costs more than the lookup saves).
    @inline(__always)
    private static func slotHash(_ key: String) -> UInt64 {
        if let hash = key.utf8.withContiguousStorageIfAvailable({ slotHash(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        var copy = key
        return copy.withUTF8 { slotHash(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    private static func slotHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        var offset = 0
        while offset + 8 <= count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            offset += 8
        }
        // The last 0 to 7 bytes in at most two loads (overlapping when fewer than 8), not a loop.
        let rest = count - offset
        var tail: UInt64 = 0
        if rest >= 4 {
            tail =
                UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) << 32
                | UInt64(bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
        } else if rest > 0 {
            tail = UInt64(bytes[offset]) << 16 | UInt64(bytes[offset + rest / 2]) << 8 | UInt64(bytes[count - 1])
        }
        hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 29)
    }
}
