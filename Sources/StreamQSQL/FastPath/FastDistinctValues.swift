#if canImport(Glibc)
import Glibc
#endif

/// The distinct values of one `count(DISTINCT field)` in every group of a fast path, typed: a row
/// adds no `String`, ``SQLValue`` or set per group.
///
/// Each distinct value gets a number (in an open-addressing table of 16-byte slots: its kind and
/// 8 bytes, a number's, a boolean's or text of up to 8 bytes; longer text as a hash and a place
/// in a byte arena). Which group has which number is a bit per (group, number) while that is
/// small or dense enough (a few groups over many values: the bits stay in the core's cache), and
/// otherwise a hash set of (group, number) pairs. Partial sets over other rows merge without
/// hashing their text again.
///
/// Values are equal as the row engine's `Set<SQLValue>` finds them: of one kind (1, 1.0, true and
/// "1" are four values) and equal within it (0.0 and -0.0 are one). Text is ASCII only (the fast
/// path leaves other text to the row engine), so equal text is equal bytes.
struct FastDistinctValues: Sendable {
    /// A distinct value, and in the table its number; an empty slot has `meta` 0.
    private struct Value {
        /// The number's bits, the boolean, text of up to 8 bytes (a little-endian word, zero-padded),
        /// or for longer text its hash's high half and, in the low half, its place in `text` in
        /// 8-byte units.
        var payload: UInt64
        /// The kind (top 3 bits, never 0 as NULL is never held) and the text's length in bytes
        /// (records are at most 64 MiB).
        var meta: UInt32
        var number: UInt32

        static let empty = Value(payload: 0, meta: 0, number: 0)

        var holdsLongText: Bool { meta & lengthMask > UInt32(inlineLength) }

        /// What its hash is made of: the payload, or for longer text its hash half only.
        var hashedPayload: UInt64 { holdsLongText ? payload & hashHalf : payload }
    }

    /// Mixed into every hash: random per process, so crafted values cannot aim at collisions
    /// across runs, and the same in every set, so a merge reuses text hashes.
    private static let seed = UInt64.random(in: 1...UInt64.max)
    /// Text longer than this lives in `text`.
    private static let inlineLength = 8
    private static let lengthMask: UInt32 = (1 << 29) - 1
    private static let hashHalf: UInt64 = 0xFFFF_FFFF_0000_0000
    /// Bits per (group, number) are kept up to this many bytes, and beyond while they take no
    /// more than the pairs would.
    private static let bitsLimit = 1 << 20

    /// The values by hash; a power of two long, at most three quarters full.
    private var valueSlots = [Value](repeating: .empty, count: 64)
    /// The values by number.
    private var values: [Value] = []
    /// The bytes of text longer than ``inlineLength``, each starting at a multiple of 8.
    private var text: [UInt8] = []

    /// The (group, number) pairs held.
    private var pairCount = 0
    /// While nil: group g's numbers are the bits of `bits[g * wordsPerGroup ..< (g + 1) * wordsPerGroup]`.
    /// Otherwise the pairs by hash (`group << 32 | number`, the top bit set; 0: empty), a power
    /// of two long, at most three quarters full.
    private var pairSlots: [UInt64]?
    private var bits: [UInt64] = []
    private var wordsPerGroup = 1
    private var groupsWithBits = 0

    /// Adds `value` (read from `record`) to `group`'s values.
    /// - Returns: true when `group` did not have it (false for NULL, which is never counted).
    @inline(__always)
    mutating func insert(_ value: FastValue, record: UnsafeRawBufferPointer, group: Int) -> Bool {
        let number: Int
        switch value.kind {
        case .null, .other: return false
        case .boolean, .integer:
            number = self.number(payload: UInt64(bitPattern: value.integer), meta: Self.meta(value.kind, 0))
        case .double:
            number = self.number(payload: value.double == 0 ? 0 : value.double.bitPattern, meta: Self.meta(.double, 0))
        case .string:
            let bytes = UnsafeRawBufferPointer(rebasing: record[value.start..<(value.start + value.count)])
            if bytes.count > Self.inlineLength {
                var hasher = KeyHasher(seed: Self.seed)
                hasher.mix(bytes: bytes)
                number = self.number(longText: bytes, hashHalf: hasher.value & Self.hashHalf)
            } else {
                number = self.number(payload: Self.word(bytes, in: record), meta: Self.meta(.string, bytes.count))
            }
        }
        return insert(group: group, number: number)
    }

    /// Adds `other`'s pairs, its group g becoming `groups[g]` here; `added` is told the group of
    /// each pair that was new here.
    mutating func merge(_ other: FastDistinctValues, groups: [Int], added: (Int) -> Void) {
        var numbers: [Int] = []
        numbers.reserveCapacity(other.values.count)
        other.text.withUnsafeBytes { otherText in
            for value in other.values {
                numbers.append(
                    value.holdsLongText
                        ? number(
                            longText: Self.longText(of: value, in: otherText),
                            hashHalf: value.payload & Self.hashHalf
                        )
                        : number(payload: value.payload, meta: value.meta)
                )
            }
        }
        other.forEachPair { group, number in
            if insert(group: groups[group], number: numbers[number]) { added(groups[group]) }
        }
    }

    /// Each group's distinct values as the row engine's DISTINCT state keeps them (`groupCount`
    /// sets, empty for groups with none).
    func valueSets(groupCount: Int) -> [Set<SQLValue>] {
        let sqlValues = text.withUnsafeBytes { text in
            values.map { value -> SQLValue in
                switch FastValue.Kind(rawValue: UInt8(value.meta >> 29)) ?? .other {
                case .boolean: return .boolean(value.payload != 0)
                case .integer: return .integer(Int64(bitPattern: value.payload))
                case .double: return .double(Double(bitPattern: value.payload))
                case .string where value.holdsLongText:
                    return .string(String(decoding: Self.longText(of: value, in: text), as: UTF8.self))
                case .string:
                    let length = Int(value.meta & Self.lengthMask)
                    return withUnsafeBytes(of: value.payload.littleEndian) {
                        .string(String(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<length]), as: UTF8.self))
                    }
                case .null, .other: return .null  // never held
                }
            }
        }
        var sets = [Set<SQLValue>](repeating: [], count: groupCount)
        forEachPair { group, number in sets[group].insert(sqlValues[number]) }
        return sets
    }

    // MARK: Values

    /// Text of up to 8 bytes as one little-endian word, zero-padded: loaded at once when the
    /// record goes on for 8 bytes (as it mostly does: the closing quote and the next key), which
    /// stalls no load on bytes just stored.
    @inline(__always)
    private static func word(_ bytes: UnsafeRawBufferPointer, in record: UnsafeRawBufferPointer) -> UInt64 {
        guard let start = bytes.baseAddress, start + 8 <= record.baseAddress! + record.count else {
            var word: UInt64 = 0
            for (index, byte) in bytes.enumerated() { word |= UInt64(byte) << UInt64(index * 8) }
            return word
        }
        let mask: UInt64 = bytes.count == 8 ? ~0 : (1 << UInt64(bytes.count * 8)) - 1
        return UInt64(littleEndian: start.loadUnaligned(as: UInt64.self)) & mask
    }

    @inline(__always)
    private static func meta(_ kind: FastValue.Kind, _ length: Int) -> UInt32 {
        UInt32(kind.rawValue) << 29 | UInt32(truncatingIfNeeded: length)
    }

    /// The bytes of the longer text `value` holds, in `text` (its set's).
    @inline(__always)
    private static func longText(of value: Value, in text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let start = Int(value.payload & 0xFFFF_FFFF) << 3
        return UnsafeRawBufferPointer(rebasing: text[start..<(start + Int(value.meta & lengthMask))])
    }

    /// The slot to look for a value in first.
    @inline(__always)
    private static func slot(hashedPayload: UInt64, meta: UInt32, mask: Int) -> Int {
        var hasher = KeyHasher(seed: seed)
        hasher.mix(UInt64(meta))
        hasher.mix(hashedPayload)
        return Int(truncatingIfNeeded: hasher.value) & mask
    }

    /// The number of a value held whole in `payload`, given it when new.
    @inline(__always)
    private mutating func number(payload: UInt64, meta: UInt32) -> Int {
        let mask = valueSlots.count - 1
        var index = Self.slot(hashedPayload: payload, meta: meta, mask: mask)
        let found: Int? = valueSlots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[index]
                if slot.meta == 0 { return nil }
                if slot.payload == payload && slot.meta == meta { return Int(slot.number) }
                index = (index + 1) & mask
            }
        }
        if let found { return found }
        return add(Value(payload: payload, meta: meta, number: UInt32(values.count)), at: index)
    }

    /// The number of text longer than ``inlineLength`` (whose hash's high half is `hashHalf`),
    /// given it when new.
    private mutating func number(longText bytes: UnsafeRawBufferPointer, hashHalf: UInt64) -> Int {
        let meta = Self.meta(.string, bytes.count)
        let mask = valueSlots.count - 1
        var index = Self.slot(hashedPayload: hashHalf, meta: meta, mask: mask)
        let found: Int? = valueSlots.withUnsafeBufferPointer { slots in
            text.withUnsafeBytes { text in
                while true {
                    let slot = slots[index]
                    if slot.meta == 0 { return nil }
                    if slot.meta == meta && slot.payload & Self.hashHalf == hashHalf
                        && memcmp(Self.longText(of: slot, in: text).baseAddress!, bytes.baseAddress!, bytes.count) == 0
                    {
                        return Int(slot.number)
                    }
                    index = (index + 1) & mask
                }
            }
        }
        if let found { return found }
        let place = UInt64(text.count >> 3)
        text.append(contentsOf: bytes)
        text.append(contentsOf: repeatElement(0, count: (8 - text.count % 8) % 8))
        return add(Value(payload: hashHalf | place, meta: meta, number: UInt32(values.count)), at: index)
    }

    private mutating func add(_ value: Value, at index: Int) -> Int {
        valueSlots[index] = value
        values.append(value)
        if values.count * 4 > valueSlots.count * 3 {
            valueSlots = [Value](repeating: .empty, count: valueSlots.count * 2)
            let mask = valueSlots.count - 1
            for value in values {
                var index = Self.slot(hashedPayload: value.hashedPayload, meta: value.meta, mask: mask)
                while valueSlots[index].meta != 0 { index = (index + 1) & mask }
                valueSlots[index] = value
            }
        }
        return Int(value.number)
    }

    // MARK: Pairs

    /// Adds the pair (`group`, `number`). - Returns: whether it was new.
    @inline(__always)
    private mutating func insert(group: Int, number: Int) -> Bool {
        if pairSlots == nil && (group >= groupsWithBits || number >= wordsPerGroup << 6) {
            makeRoom(group: group, number: number)
        }
        guard pairSlots == nil else { return insertPair(UInt64(1) << 63 | UInt64(group) << 32 | UInt64(number)) }
        let bit = UInt64(1) << UInt64(number & 63)
        let isNew: Bool = bits.withUnsafeMutableBufferPointer { bits in
            let index = group &* wordsPerGroup &+ number >> 6
            let word = bits[index]
            bits[index] = word | bit
            return word & bit == 0
        }
        if isNew { pairCount += 1 }
        return isNew
    }

    /// Widens the bits to hold (`group`, `number`), or turns to pairs when bits would take too much.
    private mutating func makeRoom(group: Int, number: Int) {
        var words = wordsPerGroup
        while number >= words << 6 { words *= 2 }
        let groups = max(groupsWithBits, group + 1)
        let bytes = groups * words * 8
        if bytes > Self.bitsLimit && bytes > 16 * pairCount {
            var pairs: [UInt64] = []
            forEachPair { group, number in pairs.append(UInt64(1) << 63 | UInt64(group) << 32 | UInt64(number)) }
            var capacity = 64
            while pairs.count * 4 > capacity * 3 { capacity *= 2 }
            pairSlots = [UInt64](repeating: 0, count: capacity)
            bits = []
            pairCount = 0
            for pair in pairs { _ = insertPair(pair) }
            return
        }
        if words != wordsPerGroup {
            var widened = [UInt64](repeating: 0, count: groups * words)
            for group in 0..<groupsWithBits {
                for word in 0..<wordsPerGroup { widened[group * words + word] = bits[group * wordsPerGroup + word] }
            }
            bits = widened
            wordsPerGroup = words
        } else {
            bits.append(contentsOf: repeatElement(0, count: (groups - groupsWithBits) * words))
        }
        groupsWithBits = groups
    }

    @inline(__always)
    private static func pairSlot(_ pair: UInt64, mask: Int) -> Int {
        var hasher = KeyHasher(seed: seed)
        hasher.mix(pair)
        return Int(truncatingIfNeeded: hasher.value) & mask
    }

    /// Adds an encoded pair to `pairSlots`. - Returns: whether it was new.
    private mutating func insertPair(_ pair: UInt64) -> Bool {
        let mask = pairSlots!.count - 1
        var index = Self.pairSlot(pair, mask: mask)
        let found: Bool = pairSlots!.withUnsafeBufferPointer { slots in
            while true {
                if slots[index] == 0 { return false }
                if slots[index] == pair { return true }
                index = (index + 1) & mask
            }
        }
        if found { return false }
        pairSlots![index] = pair
        pairCount += 1
        if pairCount * 4 > pairSlots!.count * 3 {
            let old = pairSlots!
            var slots = [UInt64](repeating: 0, count: old.count * 2)
            let mask = slots.count - 1
            for pair in old where pair != 0 {
                var index = Self.pairSlot(pair, mask: mask)
                while slots[index] != 0 { index = (index + 1) & mask }
                slots[index] = pair
            }
            pairSlots = slots
        }
        return true
    }

    /// Calls `body` with every pair's group and value number.
    private func forEachPair(_ body: (_ group: Int, _ number: Int) -> Void) {
        if let pairSlots {
            for pair in pairSlots where pair != 0 { body(Int((pair >> 32) & 0x7FFF_FFFF), Int(pair & 0xFFFF_FFFF)) }
            return
        }
        for group in 0..<groupsWithBits {
            for word in 0..<wordsPerGroup {
                var remaining = bits[group * wordsPerGroup + word]
                while remaining != 0 {
                    body(group, word << 6 + remaining.trailingZeroBitCount)
                    remaining &= remaining - 1
                }
            }
        }
    }
}
