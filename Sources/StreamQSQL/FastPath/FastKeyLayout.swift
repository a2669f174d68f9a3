#if canImport(Glibc)
import Glibc
#endif

/// The keys one worker's records had at each position (first key, second key, ...), as the bytes
/// `"key":` and the wanted field each names, so the scanner recognises the usual key at a
/// position with one 16-byte comparison instead of scanning the key and looking it up.
///
/// Records of one source share their layout; a record whose key differs from the prediction
/// (another key, escapes, whitespace) is scanned the general way, and teaches the layout its key.
/// Owned by one worker (through ``FastValueBuffer``, which frees it): a struct of pointers, so
/// handing it to each record's scan costs no reference counting.
struct FastKeyLayout {
    /// Positions remembered; keys further along are always scanned.
    static let capacity = 32
    /// Each position's `"key":` bytes, zero-padded to 16.
    private let tokens: UnsafeMutableRawPointer
    /// Each position's token length (0: nothing learned, never matches).
    private let lengths: UnsafeMutableBufferPointer<Int>
    /// Each position's entry in the extractor's keys (-1: a key no path wants).
    private let entries: UnsafeMutableBufferPointer<Int>

    init() {
        tokens = .allocate(byteCount: 16 * Self.capacity, alignment: 8)
        tokens.initializeMemory(as: UInt8.self, repeating: 0, count: 16 * Self.capacity)
        lengths = .allocate(capacity: Self.capacity)
        lengths.initialize(repeating: 0)
        entries = .allocate(capacity: Self.capacity)
        entries.initialize(repeating: -1)
    }

    /// Frees the layout's memory (its owner's deinit).
    func deallocate() {
        tokens.deallocate()
        lengths.deallocate()
        entries.deallocate()
    }

    /// If the bytes at `key` (a key's opening quote, `available` bytes to the record's end) are the
    /// token learned for `position`: its entry and token length.
    @inline(__always)
    func predict(_ position: Int, at key: UnsafePointer<UInt8>, available: Int) -> (entry: Int, length: Int)? {
        guard position < Self.capacity else { return nil }
        let length = lengths[position]
        let token = tokens + position &* 16
        if available >= 16 {
            let first = UnsafeRawPointer(key).loadUnaligned(as: UInt64.self)
            let second = UnsafeRawPointer(key).loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let firstMask: UInt64 = length >= 8 ? ~0 : (1 &<< UInt64(length &* 8)) &- 1
            let secondMask: UInt64 = length <= 8 ? 0 : (length >= 16 ? ~0 : (1 &<< UInt64((length &- 8) &* 8)) &- 1)
            guard length > 0, (first ^ token.load(as: UInt64.self)) & firstMask == 0,
                (second ^ token.load(fromByteOffset: 8, as: UInt64.self)) & secondMask == 0
            else { return nil }
        } else {
            guard length > 0, length <= available, memcmp(key, token, length) == 0 else { return nil }
        }
        return (entries[position], length)
    }

    /// Remembers the key found at `position`: `token` is its `"key":` bytes when they are contiguous
    /// (nil when whitespace or escapes broke them up, or they are too long to remember).
    @inline(__always)
    func learn(_ position: Int, token: UnsafeRawBufferPointer?, entry: Int) {
        guard position < Self.capacity else { return }
        guard let token, token.count <= 16 else {
            lengths[position] = 0
            return
        }
        let slot = tokens + position &* 16
        slot.storeBytes(of: 0, as: UInt64.self)
        slot.storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
        slot.copyMemory(from: token.baseAddress!, byteCount: token.count)
        lengths[position] = token.count
        entries[position] = entry
    }
}
