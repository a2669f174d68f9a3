/// `hash(value, …)`: a stable 63-bit hash of SQL values, the same in every process and run (so it
/// can pick samples or shards), but not DuckDB's values. Equal values hash equally, a BIGINT and
/// an equal whole DOUBLE included; NULL has a hash of its own, as in DuckDB.
enum ValueHash {
    static func hash(_ values: [SQLValue]) -> Int64 {
        var state: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a offset basis
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                state ^= UInt64(byte)
                state &*= 0x0000_0100_0000_01B3
            }
        }
        func mix(_ tag: Character, _ number: UInt64) {
            mix([tag.asciiValue!])
            withUnsafeBytes(of: number.littleEndian) { mix($0) }
        }
        for value in values {
            switch value {
            case .null: mix("z", 0)
            case .boolean(let x): mix("b", x ? 1 : 0)
            case .integer(let x): mix("n", UInt64(bitPattern: x))
            case .double(let x):
                if x.rounded() == x, abs(x) < 9.2e18 {
                    mix("n", UInt64(bitPattern: Int64(x)))
                } else {
                    mix("d", x.bitPattern)
                }
            case .string(let text):
                mix("s", UInt64(text.utf8.count))
                mix(text.utf8)
            case .json(let text):
                mix("j", UInt64(text.utf8.count))
                mix(text.utf8)
            case .timestamp(let x): mix("t", UInt64(bitPattern: x))
            case .interval(let x): mix("i", UInt64(bitPattern: x))
            }
        }
        // SplitMix64's finaliser spreads FNV's weak low bits; the sign bit is cleared to stay a BIGINT ≥ 0.
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int64(bitPattern: z & UInt64(Int64.max))
    }
}
