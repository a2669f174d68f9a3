/// A record's sequence number as Kinesis clients see it: a 186-bit decimal in AWS's "version 2"
/// layout, which KCL checks before it trusts a checkpoint (`reference/kinesis-api.md` §7).
///
/// Bits from the top: version `2` (4) | stream creation seconds (36) | shard number & 0xF (4) |
/// position (64) | 0 (8) | stream creation seconds (36) | shard number (32) | `2` (4).
///
/// A record's position is its shard-local sequence plus one; a shard's StartingSequenceNumber is
/// its first sequence, so it sorts just below the shard's first record, as on AWS, and
/// AFTER_SEQUENCE_NUMBER of it starts at that record.
/// The shard-local sequence sits above everything that varies by shard, so numbers increase with
/// the sequence within a shard and along a key's lineage (children continue their parents'
/// sequences), and the shard number in the low bits makes every number unique in its stream.
///
/// Shared by the server, which writes these numbers, and the remote client, which maps a shard's
/// numbers onto `UInt64` positions by their position field (``position(of:)``) and back
/// (``replacingPosition(of:with:)``).
public enum KinesisSequenceNumber {
    /// The decimal form of (`shard`, `sequence`) in a stream created at `createdSeconds`.
    public static func encode(sequence: UInt64, shard: UInt32, createdSeconds: Int64) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(57)
        append(sequence: sequence, shard: shard, createdSeconds: createdSeconds, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// The number of the record at shard-local `sequence` (its position is `sequence + 1`).
    public static func encode(record sequence: UInt64, shard: UInt32, createdSeconds: Int64) -> String {
        encode(sequence: sequence + 1, shard: shard, createdSeconds: createdSeconds)
    }

    /// The position field of the number of the record at shard-local `sequence`.
    public static func position(ofSequence sequence: UInt64) -> UInt64 { sequence + 1 }

    /// Appends the number of the record at shard-local `sequence` to `buffer`.
    public static func append(record sequence: UInt64, shard: UInt32, createdSeconds: Int64, to buffer: inout [UInt8]) {
        append(sequence: sequence + 1, shard: shard, createdSeconds: createdSeconds, to: &buffer)
    }

    /// Appends the decimal digits of (`shard`, `sequence`) to `buffer`: the response writers' path.
    public static func append(sequence: UInt64, shard: UInt32, createdSeconds: Int64, to buffer: inout [UInt8]) {
        let created = UInt64(truncatingIfNeeded: createdSeconds) & 0xF_FFFF_FFFF
        let shard = UInt64(shard)
        // The 188-bit value as three 64-bit limbs, least significant first (bit positions above).
        let limbs: Limbs = (
            2 | shard << 4 | (created & 0xFFF_FFFF) << 36,
            created >> 28 | (sequence & 0xFFFF_FFFF_FFFF) << 16,
            sequence >> 48 | (shard & 0xF) << 16 | created << 20 | 2 << 56
        )
        appendDecimal(limbs, to: &buffer)
    }

    /// A value of up to 192 bits as three 64-bit limbs, least significant first.
    private typealias Limbs = (UInt64, UInt64, UInt64)

    /// Appends the decimal digits of `limbs`, whose top limb is not zero.
    private static func appendDecimal(_ limbs: Limbs, to buffer: inout [UInt8]) {
        var limbs = limbs
        // Three base-10^19 chunks cover the 57 decimal digits of a 188-bit value.
        let base: UInt64 = 10_000_000_000_000_000_000
        var chunks: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for position in 0..<3 {
            var remainder: UInt64 = 0
            (limbs.2, remainder) = base.dividingFullWidth((0, limbs.2))
            (limbs.1, remainder) = base.dividingFullWidth((remainder, limbs.1))
            (limbs.0, remainder) = base.dividingFullWidth((remainder, limbs.0))
            switch position {
            case 0: chunks.0 = remainder
            case 1: chunks.1 = remainder
            default: chunks.2 = remainder
            }
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 57) { scratch in
            var start = writeDigits(chunks.0, padded: true, endingAt: 57, in: scratch)
            start = writeDigits(chunks.1, padded: true, endingAt: start, in: scratch)
            start = writeDigits(chunks.2, padded: false, endingAt: start, in: scratch)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start...]))
        }
    }

    /// "00" to "99": two digits per division.
    static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859606162636465666768697071727374757677787980\
        81828384858687888990919293949596979899
        """

    /// Writes the digits of `value` (a base-10^19 chunk) to end just before `end` in `scratch`,
    /// padded with zeros to 19 digits when `padded`; returns where they start.
    private static func writeDigits(
        _ value: UInt64,
        padded: Bool,
        endingAt end: Int,
        in scratch: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        let pairs = digitPairs.utf8Start
        var value = value
        var start = end
        while value >= 100 {
            let pair = Int(value % 100) * 2
            value /= 100
            start -= 2
            scratch[start] = pairs[pair]
            scratch[start + 1] = pairs[pair + 1]
        }
        if value >= 10 {
            start -= 2
            scratch[start] = pairs[Int(value) * 2]
            scratch[start + 1] = pairs[Int(value) * 2 + 1]
        } else {
            start -= 1
            scratch[start] = UInt8(truncatingIfNeeded: value) + 0x30
        }
        if padded {
            while start > end - 19 {
                start -= 1
                scratch[start] = 0x30
            }
        }
        return start
    }

    /// The shard number, position and stream creation seconds a decimal names; nil unless it has
    /// this layout.
    public static func decode(_ text: String) -> (shard: UInt32, sequence: UInt64, createdSeconds: Int64)? {
        guard let limbs = limbs(text) else { return nil }
        let shard = UInt32(truncatingIfNeeded: limbs.0 >> 4)
        let created = limbs.0 >> 36 | (limbs.1 & 0xFF) << 28
        let sequence = limbs.1 >> 16 | (limbs.2 & 0xFFFF) << 48
        guard limbs.0 & 0xF == 2, (limbs.1 >> 8) & 0xFF == 0, limbs.2 >> 56 == 2,
            (limbs.2 >> 16) & 0xF == UInt64(shard & 0xF), (limbs.2 >> 20) & 0xF_FFFF_FFFF == created
        else { return nil }
        return (shard, sequence, Int64(created))
    }

    /// The 64-bit position field (bits 80 to 143) of a number with version `2` in its top nibble
    /// and `2` in its low one, as AWS's are; nil for any other decimal. Unlike ``decode(_:)`` it
    /// does not require the other fields to agree, so numbers AWS writes differently there map too.
    public static func position(of text: String) -> UInt64? {
        var text = text
        return text.withUTF8 { position(ofDigits: UnsafeRawBufferPointer($0)) }
    }

    /// ``position(of:)`` of the decimal whose ASCII digits are `digits`.
    public static func position(ofDigits digits: UnsafeRawBufferPointer) -> UInt64? {
        guard let limbs = limbs(digits), limbs.2 >> 56 == 2, limbs.0 & 0xF == 2 else { return nil }
        return limbs.1 >> 16 | (limbs.2 & 0xFFFF) << 48
    }

    /// `template` (a number ``position(of:)`` accepts, such as a shard's StartingSequenceNumber)
    /// with its position field replaced by `position`: the inverse of ``position(of:)`` within
    /// the numbers sharing the template's other fields. Nil when `template` is not such a number.
    public static func replacingPosition(of template: String, with position: UInt64) -> String? {
        guard var limbs = limbs(template), limbs.2 >> 56 == 2, limbs.0 & 0xF == 2 else { return nil }
        limbs.1 = limbs.1 & 0xFFFF | (position & 0xFFFF_FFFF_FFFF) << 16
        limbs.2 = limbs.2 & ~0xFFFF | position >> 48
        var digits: [UInt8] = []
        digits.reserveCapacity(57)
        appendDecimal(limbs, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// The value of a decimal of at most 57 digits that fits in 192 bits, or nil. Digits are
    /// taken 19 at a time (what fits a UInt64), so the limbs are multiplied three times, not 57.
    private static func limbs(_ text: String) -> Limbs? {
        var text = text
        return text.withUTF8 { limbs(UnsafeRawBufferPointer($0)) }
    }

    /// ``limbs(_:)`` of the digits in `digits`.
    private static func limbs(_ digits: UnsafeRawBufferPointer) -> Limbs? {
        guard !digits.isEmpty, digits.count <= 57 else { return nil }
        var limbs: Limbs = (0, 0, 0)
        var start = 0
        // The first chunk is the short one, so every later chunk has 19 digits.
        var end = digits.count % 19 == 0 ? 19 : digits.count % 19
        while start < digits.count {
            var chunk: UInt64 = 0
            for index in start..<end {
                let digit = digits[index] &- 0x30
                guard digit < 10 else { return nil }
                chunk = chunk &* 10 &+ UInt64(digit)
            }
            guard multiply(&limbs, by: powersOfTen[end - start], adding: chunk) else { return nil }
            start = end
            end += 19
        }
        return limbs
    }

    /// 10^0 through 10^19.
    private static let powersOfTen: [UInt64] = (0...19).map { (0..<$0).reduce(1) { value, _ in value * 10 } }

    /// `limbs × scale + addend`; false when it does not fit in 192 bits.
    private static func multiply(_ limbs: inout Limbs, by scale: UInt64, adding addend: UInt64) -> Bool {
        let (high0, low0) = limbs.0.multipliedFullWidth(by: scale)
        let (high1, low1) = limbs.1.multipliedFullWidth(by: scale)
        let (high2, low2) = limbs.2.multipliedFullWidth(by: scale)
        guard high2 == 0 else { return false }
        let (sum0, carry0) = low0.addingReportingOverflow(addend)
        let (sum1a, carry1a) = low1.addingReportingOverflow(high0)
        let (sum1, carry1b) = sum1a.addingReportingOverflow(carry0 ? 1 : 0)
        let (sum2a, carry2a) = low2.addingReportingOverflow(high1)
        let (sum2, carry2b) = sum2a.addingReportingOverflow((carry1a ? 1 : 0) + (carry1b ? 1 : 0))
        guard !carry2a, !carry2b else { return false }
        limbs = (sum0, sum1, sum2)
        return true
    }
}
