import StreamQStorage

/// Which open shard (a position in ``ShardRoutes/shards``) recently seen partition keys route to,
/// so a key that repeats (the key of the record before, or a `--key-field` of user ids, hosts,
/// tenants) is hashed (MD5) once, not once per record. The last key, then a fixed table of
/// 2 × 8,192 entries, two per slot of a cheap hash of the key's bytes; a key not found is hashed
/// and takes the slot's first entry, the previous one moving to the second. Memory stays the same
/// whatever the keys: keys that never repeat just miss.
struct PartitionKeyRouteCache {
    private static let slotCount = 8192
    private var keys = [String](repeating: "", count: 2 * slotCount)
    /// The route of the key at the same index; -1 for an empty entry.
    private var routeOf = [Int32](repeating: -1, count: 2 * slotCount)
    private var last: (key: String, route: Int)?
    /// Keys not found (and so hashed) since this was last reset to 0.
    var misses = 0

    /// The position in `routes.shards` of the shard `key` routes to.
    @inline(__always)
    mutating func route(for key: String, in routes: ShardRoutes) -> Int {
        if let last, last.key == key { return last.route }
        let route = lookUp(key, in: routes)
        last = (key, route)
        return route
    }

    private mutating func lookUp(_ key: String, in routes: ShardRoutes) -> Int {
        let first = 2 * (Int(truncatingIfNeeded: Self.slotHash(key)) & (Self.slotCount - 1))
        if routeOf[first] >= 0 && keys[first] == key { return Int(routeOf[first]) }
        if routeOf[first + 1] >= 0 && keys[first + 1] == key { return Int(routeOf[first + 1]) }
        misses += 1
        let route = routes.index(for: .forPartitionKey(key))
        keys[first + 1] = keys[first]
        routeOf[first + 1] = routeOf[first]
        keys[first] = key
        routeOf[first] = Int32(route)
        return route
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
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            offset += 8
        }
        var tail: UInt64 = 0
        for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << UInt64(8 * (index - offset)) }
        hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 29)
    }
}
