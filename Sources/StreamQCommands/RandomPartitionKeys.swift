/// Random partition keys for lines that only need to spread evenly over shards: a fresh key for
/// every run of 64 lines, 15 hex digits (60 bits, short enough to be stored inline in a Swift
/// string, so a key costs no allocation) from a xoshiro256** generator seeded once from the
/// system's random source.
///
/// Why runs and not a key per line: a key per line is 15 incompressible digits in every stored
/// record (a quarter more on disk than the records' own bytes compress to, and ~12 % more time in
/// zstd), and a hash (MD5) per line to route it. Lines of a run share a key, so the stored keys
/// compress to almost nothing and routing hashes once per run, while runs spread over the shards
/// as evenly as lines would. The keys only need to be uniform, not secret; a system call per key
/// would cost more than storing the line.
struct RandomPartitionKeys {
    static let runLength = 64
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var key = ""
    private var left = 0

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next())
        if state == (0, 0, 0, 0) { state.0 = 1 }  // the one state xoshiro cannot leave
    }

    mutating func next() -> String {
        if left == 0 {
            key = freshKey()
            left = Self.runLength
        }
        left -= 1
        return key
    }

    private mutating func freshKey() -> String {
        let value = nextRandom() >> 4
        return String(unsafeUninitializedCapacity: 15) { buffer in
            for position in 0..<15 {
                let digit = UInt8(truncatingIfNeeded: value >> UInt64(4 * (14 - position))) & 0xF
                buffer[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            }
            return 15
        }
    }

    /// xoshiro256** (Blackman and Vigna).
    private mutating func nextRandom() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}
