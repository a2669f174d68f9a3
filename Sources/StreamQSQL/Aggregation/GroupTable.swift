/// Group keys to dense group numbers: an open-addressing hash table whose keys live in one flat
/// array, so looking up a row's key costs a hash and a comparison, with no allocation unless
/// the group is new.
struct GroupTable: Sendable, Codable {
    let width: Int
    /// Keys of group g at `keys[g * width ..< (g + 1) * width]`.
    private(set) var keys: [SQLValue] = []
    private var hashes: [Int] = []

    private enum CodingKeys: String, CodingKey { case width, keys, count }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let width = try container.decode(Int.self, forKey: .width)
        self.init(width: width)
        let keys = try container.decode([SQLValue].self, forKey: .keys)
        let count = try container.decode(Int.self, forKey: .count)
        for group in 0..<count { _ = self.group(for: Array(keys[(group * width)..<((group + 1) * width)])) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(width, forKey: .width)
        try container.encode(keys, forKey: .keys)
        try container.encode(count, forKey: .count)
    }
    /// Group number + 1 per bucket (0: empty); the bucket count is a power of two.
    private var buckets: [Int32] = [Int32](repeating: 0, count: 16)

    /// Mixed into every hash; random per table.
    private let seed = UInt64.random(in: 1...UInt64.max)

    init(width: Int) { self.width = width }

    var count: Int { hashes.count }

    /// The key of group `group`.
    func key(_ group: Int) -> ArraySlice<SQLValue> { keys[(group * width)..<((group + 1) * width)] }

    /// The group number of `key`, adding it when new.
    mutating func group(for key: [SQLValue]) -> (group: Int, isNew: Bool) {
        if width == 0 {  // a global aggregate: one group
            if hashes.isEmpty {
                hashes.append(0)
                return (0, true)
            }
            return (0, false)
        }
        let hash = hash(key)
        let mask = buckets.count - 1
        var bucket = hash & mask
        while true {
            let entry = Int(buckets[bucket])
            if entry == 0 { break }
            let group = entry - 1
            if hashes[group] == hash, equalKeys(group, key) { return (group, false) }
            bucket = (bucket + 1) & mask
        }
        let group = hashes.count
        hashes.append(hash)
        keys.append(contentsOf: key)
        buckets[bucket] = Int32(group + 1)
        if hashes.count * 2 > buckets.count { grow() }
        return (group, true)
    }

    /// A fast hash of a key (``KeyHasher``), strings by their UTF-8 bytes.
    @inline(__always)
    private func hash(_ key: [SQLValue]) -> Int {
        var hasher = KeyHasher(seed: seed)
        for value in key {
            switch value {
            case .null: hasher.mix(1)
            case .boolean(let flag): hasher.mix(flag ? 3 : 2)
            case .integer(let number): hasher.mix(UInt64(bitPattern: number))
            // 0.0 and -0.0 are equal, so one group (as in DuckDB): they must hash alike.
            case .double(let number): hasher.mix((number == 0 ? 0 : number.bitPattern) ^ 0x5555)
            case .timestamp(let number): hasher.mix(UInt64(bitPattern: number) ^ 0x7777)
            case .interval(let number): hasher.mix(UInt64(bitPattern: number) ^ 0x9999)
            case .string(var text), .json(var text):
                text.withUTF8 { hasher.mix(bytes: UnsafeRawBufferPointer($0)) }
            }
        }
        return Int(bitPattern: UInt(truncatingIfNeeded: hasher.value))
    }

    private func equalKeys(_ group: Int, _ key: [SQLValue]) -> Bool {
        let base = group * width
        for index in 0..<width where keys[base + index] != key[index] { return false }
        return true
    }

    private mutating func grow() {
        buckets = [Int32](repeating: 0, count: buckets.count * 2)
        let mask = buckets.count - 1
        for (group, hash) in hashes.enumerated() {
            var bucket = hash & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = Int32(group + 1)
        }
    }
}
