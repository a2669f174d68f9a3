internal import CIntrinsics

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
            withUnsafeBytes(of: &first, { Self.sameBytes($0.baseAddress!, key.baseAddress, count) })
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

    /// Whether the `count` bytes at `a` and `b` are the same: keys are short, and a loop over them
    /// costs less than a call to memcmp.
    @inline(__always)
    private static func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ count: Int) -> Bool {
        guard let b, count > 0 else { return true }
        guard count <= 16 else { return memcmp(a, b, count) == 0 }
        for offset in 0..<count
        where a.load(fromByteOffset: offset, as: UInt8.self) != b.load(fromByteOffset: offset, as: UInt8.self) {
            return false
        }
        return true
    }

    /// Gives each repeated key the hash of its run's first key.
    func fill(_ hashes: UnsafeMutableBufferPointer<HashKey>) {
        for (position, source) in repeats { hashes[position] = hashes[source] }
    }
}

/// Eight single-block MD5 computations run side by side, one per SIMD lane (RFC 1321), in
/// `streamq_md5_lanes8` (C: Swift's vector types leave its rotations to one lane at a time).
private struct MD5Lanes {
    static let laneCount = 8
    /// The longest message that fits one 64-byte block with MD5's padding (a 0x80 byte and the
    /// 8-byte length).
    static let maxMessageBytes = 55

    /// The loaded blocks, transposed: word `w` of lane `l` is `blocks[w * 8 + l]`.
    private var blocks = [UInt32](repeating: 0, count: 16 * laneCount)
    private var digest = [UInt32](repeating: 0, count: 4 * laneCount)
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
                    blocks[word &* Self.laneCount &+ lane] = UInt32(
                        littleEndian: block.load(fromByteOffset: word &* 4, as: UInt32.self)
                    )
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
        blocks.withUnsafeBufferPointer { blocks in
            digest.withUnsafeMutableBufferPointer { streamq_md5_lanes8(blocks.baseAddress!, $0.baseAddress!) }
        }
        digest.withUnsafeBufferPointer { digest in
            for lane in 0..<loaded {
                // The digest is a, b, c, d in little-endian byte order; the hash key reads it big-endian.
                hashes[positions[lane]] =
                    HashKey(digest[lane].byteSwapped) << 96 | HashKey(digest[8 + lane].byteSwapped) << 64
                    | HashKey(digest[16 + lane].byteSwapped) << 32 | HashKey(digest[24 + lane].byteSwapped)
            }
        }
        loaded = 0
    }
}
