#if canImport(Glibc)
import Glibc
#endif

extension HashKey {
    /// The routing hash of each of `keys`, in order, as ``forPartitionKey(_:)`` computes it.
    ///
    /// MD5 is one long chain of dependent steps, so hashing one short key at a time leaves most of
    /// the core idle (and the one-at-a-time API allocates a context per key). Here keys of at most
    /// 55 UTF-8 bytes (one MD5 block with its padding) are hashed eight at a time, side by side in
    /// SIMD lanes, without allocating; longer keys are hashed one by one.
    public static func forPartitionKeys(_ keys: some Collection<String>) -> [HashKey] {
        hashes(of: keys)
    }

    /// ``forPartitionKeys(_:)`` of an array, compiled for it here: the generic form called from
    /// another module runs unspecialized, and loses most of what the lanes save.
    public static func forPartitionKeys(_ keys: [String]) -> [HashKey] {
        hashes(of: keys)
    }

    /// ``forPartitionKeys(_:)`` of keys given as their UTF-8 bytes (valid UTF-8).
    static func forPartitionKeys(utf8 keys: [UnsafeRawBufferPointer]) -> [HashKey] {
        var hashes = [HashKey](repeating: 0, count: keys.count)
        hashes.withUnsafeMutableBufferPointer { hashes in
            var lanes = MD5Lanes()
            var run = KeyRun()
            for (position, key) in keys.enumerated() {
                if run.continues(with: key, at: position) { continue }
                if !lanes.load(key, for: position) {
                    hashes[position] = .forPartitionKey(String(decoding: key, as: UTF8.self))
                } else if lanes.isFull {
                    lanes.digest(into: hashes)
                }
            }
            lanes.digest(into: hashes)
            run.fill(hashes)
        }
        return hashes
    }

    private static func hashes(of keys: some Collection<String>) -> [HashKey] {
        var hashes = [HashKey](repeating: 0, count: keys.count)
        hashes.withUnsafeMutableBufferPointer { hashes in
            var lanes = MD5Lanes()
            var run = KeyRun()
            for (position, key) in keys.enumerated() {
                var key = key
                let done = key.withUTF8 { bytes in
                    let bytes = UnsafeRawBufferPointer(bytes)
                    if run.continues(with: bytes, at: position) { return true }
                    guard lanes.load(bytes, for: position) else { return false }
                    if lanes.isFull { lanes.digest(into: hashes) }
                    return true
                }
                if !done { hashes[position] = .forPartitionKey(key) }
            }
            lanes.digest(into: hashes)
            run.fill(hashes)
        }
        return hashes
    }
}

/// Runs of one key repeated (a producer's random key serves a run of records): each key after
/// the first of its run takes the first one's hash instead of an MD5 of its own.
private struct KeyRun {
    /// The first key of the current run (one that fits an MD5 block; a longer one starts no run),
    /// and where.
    private var first: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
    private var firstCount = -1
    private var firstPosition = 0
    /// Positions whose hash is that of an earlier position, once those are digested.
    private var repeats: [(position: Int, of: Int)] = []

    /// Whether `key` (at `position`) repeats the run's key; if not, it starts a new run.
    mutating func continues(with key: UnsafeRawBufferPointer, at position: Int) -> Bool {
        let count = key.count
        if count == firstCount,
            withUnsafeBytes(of: &first, { count == 0 || memcmp($0.baseAddress!, key.baseAddress!, count) == 0 })
        {
            repeats.append((position, firstPosition))
            return true
        }
        guard count <= MD5Lanes.maxMessageBytes else {
            firstCount = -1
            return false
        }
        withUnsafeMutableBytes(of: &first) { $0.copyMemory(from: key) }
        (firstCount, firstPosition) = (count, position)
        return false
    }

    /// Gives each repeated key the hash of its run's first key.
    func fill(_ hashes: UnsafeMutableBufferPointer<HashKey>) {
        for (position, source) in repeats { hashes[position] = hashes[source] }
    }
}

/// Eight single-block MD5 computations run side by side, one per SIMD lane (RFC 1321).
private struct MD5Lanes {
    typealias Word = SIMD8<UInt32>
    static let laneCount = Word.scalarCount
    /// The longest message that fits one 64-byte block with MD5's padding (a 0x80 byte and the
    /// 8-byte length).
    static let maxMessageBytes = 55

    /// The loaded blocks, transposed: word `w` of every lane is `blocks[w]`.
    private var blocks = [Word](repeating: .zero, count: 16)
    /// Where each loaded lane's hash goes.
    private var positions = [Int](repeating: 0, count: laneCount)
    private var loaded = 0

    var isFull: Bool { loaded == Self.laneCount }

    /// Loads `message`, padded, into the next free lane, and remembers `position` as where its
    /// hash goes; false (nothing loaded) when it does not fit one block.
    mutating func load(_ message: UnsafeRawBufferPointer, for position: Int) -> Bool {
        guard message.count <= Self.maxMessageBytes else { return false }
        var padded: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        let lane = loaded
        withUnsafeMutableBytes(of: &padded) { block in
            block.copyMemory(from: message)
            block[message.count] = 0x80
            block.storeBytes(of: UInt64(message.count * 8).littleEndian, toByteOffset: 56, as: UInt64.self)
            blocks.withUnsafeMutableBufferPointer { blocks in
                for word in 0..<16 {
                    blocks[word][lane] = UInt32(littleEndian: block.load(fromByteOffset: word * 4, as: UInt32.self))
                }
            }
        }
        positions[lane] = position
        loaded += 1
        return true
    }

    /// Hashes the loaded lanes, stores each hash at its position in `hashes`, and empties the lanes.
    mutating func digest(into hashes: UnsafeMutableBufferPointer<HashKey>) {
        guard loaded > 0 else { return }
        let (a, b, c, d) = blocks.withUnsafeBufferPointer { Self.compress($0) }
        for lane in 0..<loaded {
            // The digest is a, b, c, d in little-endian byte order; the hash key reads it big-endian.
            hashes[positions[lane]] =
                HashKey(a[lane].byteSwapped) << 96 | HashKey(b[lane].byteSwapped) << 64
                | HashKey(c[lane].byteSwapped) << 32 | HashKey(d[lane].byteSwapped)
        }
        loaded = 0
    }

    /// MD5's compression function on one block per lane, from the initial state.
    private static func compress(_ m: UnsafeBufferPointer<Word>) -> (Word, Word, Word, Word) {
        let initial = (
            Word(repeating: 0x6745_2301), Word(repeating: 0xefcd_ab89), Word(repeating: 0x98ba_dcfe),
            Word(repeating: 0x1032_5476)
        )
        var (a, b, c, d) = initial
        @inline(__always) func step(_ f: Word, _ word: Int, _ i: Int, _ shift: UInt32) {
            let sum = a &+ f &+ Word(repeating: sines[i]) &+ m[word]
            (a, d, c) = (d, c, b)
            b = b &+ (sum &<< shift | sum &>> (32 - shift))
        }
        for i in 0..<16 { step((b & c) | (~b & d), i, i, shifts[i & 3]) }
        for i in 16..<32 { step((d & b) | (~d & c), (5 * i + 1) & 15, i, shifts[4 + (i & 3)]) }
        for i in 32..<48 { step(b ^ c ^ d, (3 * i + 5) & 15, i, shifts[8 + (i & 3)]) }
        for i in 48..<64 { step(c ^ (b | ~d), (7 * i) & 15, i, shifts[12 + (i & 3)]) }
        return (a &+ initial.0, b &+ initial.1, c &+ initial.2, d &+ initial.3)
    }

    /// Each round's four rotation amounts.
    private static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
    /// ⌊|sin(i + 1)| · 2³²⌋ for each step i.
    private static let sines: [UInt32] = [
        0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee, 0xf57c_0faf, 0x4787_c62a, 0xa830_4613, 0xfd46_9501,
        0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be, 0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821,
        0xf61e_2562, 0xc040_b340, 0x265e_5a51, 0xe9b6_c7aa, 0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
        0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed, 0xa9e3_e905, 0xfcef_a3f8, 0x676f_02d9, 0x8d2a_4c8a,
        0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c, 0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70,
        0x289b_7ec6, 0xeaa1_27fa, 0xd4ef_3085, 0x0488_1d05, 0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
        0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039, 0x655b_59c3, 0x8f0c_cc92, 0xffef_f47d, 0x8584_5dd1,
        0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1, 0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
    ]
}
