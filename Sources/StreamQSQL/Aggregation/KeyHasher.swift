/// The hash of group keys: values mixed into a per-table random seed (so crafted keys cannot aim
/// at collisions across runs) by multiply-xorshift, bytes eight at a time.
struct KeyHasher {
    private(set) var value: UInt64

    init(seed: UInt64) { value = seed }

    @inline(__always)
    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
    }

    /// Mixes `bytes` and their length.
    @inline(__always)
    mutating func mix(bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index + 8 <= bytes.count {
            mix(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var tail = UInt64(bytes.count) << 56
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        mix(tail)
    }
}
