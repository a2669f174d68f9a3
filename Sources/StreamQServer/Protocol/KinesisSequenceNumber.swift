/// A record's sequence number as Kinesis clients see it: a 186-bit decimal in AWS's "version 2"
/// layout, which KCL checks before it trusts a checkpoint (`reference/kinesis-api.md` §7).
///
/// Bits from the top: version `2` (4) | stream creation seconds (36) | shard number & 0xF (4) |
/// shard-local sequence (64) | 0 (8) | stream creation seconds (36) | shard number (32) | `2` (4).
/// The shard-local sequence sits above everything that varies by shard, so numbers increase with
/// the sequence within a shard and along a key's lineage (children continue their parents'
/// sequences), and the shard number in the low bits makes every number unique in its stream.
enum KinesisSequenceNumber {
    /// The decimal form of (`shard`, `sequence`) in a stream created at `createdSeconds`.
    static func encode(sequence: UInt64, shard: UInt32, createdSeconds: Int64) -> String {
        let created = UInt64(truncatingIfNeeded: createdSeconds) & 0xF_FFFF_FFFF
        // Little-endian 32-bit limbs of the 188-bit value.
        var limbs = [UInt32](repeating: 0, count: 6)
        func put(_ value: UInt64, width: Int, at bit: Int) {
            for offset in 0..<width where (value >> UInt64(offset)) & 1 == 1 {
                let position = bit + offset
                limbs[position / 32] |= 1 << UInt32(position % 32)
            }
        }
        put(2, width: 4, at: 0)
        put(UInt64(shard), width: 32, at: 4)
        put(created, width: 36, at: 36)
        put(sequence, width: 64, at: 80)
        put(UInt64(shard & 0xF), width: 4, at: 144)
        put(created, width: 36, at: 148)
        put(2, width: 4, at: 184)
        return decimal(limbs)
    }

    /// The shard number and shard-local sequence a decimal names; nil unless it has this layout.
    static func decode(_ text: String) -> (shard: UInt32, sequence: UInt64)? {
        guard !text.isEmpty, text.count <= 60 else { return nil }
        var limbs = [UInt32](repeating: 0, count: 7)
        for character in text.utf8 {
            guard character >= 0x30, character <= 0x39 else { return nil }
            var carry = UInt64(character - 0x30)
            for index in limbs.indices {
                let product = UInt64(limbs[index]) * 10 + carry
                limbs[index] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            guard carry == 0 else { return nil }
        }
        func get(width: Int, at bit: Int) -> UInt64 {
            var value: UInt64 = 0
            for offset in 0..<width {
                let position = bit + offset
                if (limbs[position / 32] >> UInt32(position % 32)) & 1 == 1 { value |= 1 << UInt64(offset) }
            }
            return value
        }
        guard limbs[6] == 0, get(width: 4, at: 188) == 0, get(width: 4, at: 184) == 2, get(width: 4, at: 0) == 2,
            get(width: 8, at: 72) == 0
        else { return nil }
        let shard = UInt32(get(width: 32, at: 4))
        guard get(width: 4, at: 144) == UInt64(shard & 0xF), get(width: 36, at: 36) == get(width: 36, at: 148) else {
            return nil
        }
        return (shard, get(width: 64, at: 80))
    }

    /// Base-10 digits of a little-endian limb array.
    private static func decimal(_ limbs: [UInt32]) -> String {
        var limbs = limbs
        var chunks: [UInt32] = []  // base 10^9, least significant first
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for index in limbs.indices.reversed() {
                let value = remainder << 32 | UInt64(limbs[index])
                limbs[index] = UInt32(value / 1_000_000_000)
                remainder = value % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
        }
        guard let top = chunks.last else { return "0" }
        var text = String(top)
        for chunk in chunks.dropLast().reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }
}
