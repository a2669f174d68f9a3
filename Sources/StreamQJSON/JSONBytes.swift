/// Byte tests the JSON scanners share.
public enum JSONBytes {
    /// Bytes that can appear in a JSON number (the scanners take a run of them; the value's parser
    /// decides what the run means).
    @inlinable @inline(__always)
    public static func isNumberByte(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte | 0x20 == UInt8(ascii: "e") || byte == UInt8(ascii: "+")
    }

    /// Where the run of number bytes (``isNumberByte(_:)``) that starts at `start` ends, in the
    /// `count` bytes at `base`: its digits eight at a time (the long runs of timestamps and
    /// lengths), then whatever else a number holds byte by byte.
    @inlinable @inline(__always)
    public static func endOfNumber(in base: UnsafeRawPointer, count: Int, from start: Int) -> Int {
        var index = start
        while index + 8 <= count {
            let run = leadingDigitCount(
                UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            )
            index += run
            if run < 8 { break }
        }
        while index < count, isNumberByte(base.load(fromByteOffset: index, as: UInt8.self)) { index += 1 }
        return index
    }

    /// The high bit of each byte of `word` that is a quote or a backslash; the lowest set bit is
    /// exact (a borrow can only mark bytes above a match), which is all a string scan reads.
    @inlinable @inline(__always)
    public static func quotesAndBackslashes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ 0x2222_2222_2222_2222
        let backslashes = word ^ 0x5C5C_5C5C_5C5C_5C5C
        return ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes) & 0x8080_8080_8080_8080
    }

    /// How many of `word`'s bytes, from its first (lowest), are ASCII digits before any other
    /// byte: 0...8. Each byte is tested on its own (no carry crosses bytes).
    @inlinable @inline(__always)
    public static func leadingDigitCount(_ word: UInt64) -> Int {
        let offsets = word ^ 0x3030_3030_3030_3030  // digits become 0...9
        let notDigits = (offsets | ((offsets & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080
        return notDigits.trailingZeroBitCount >> 3
    }

    /// The decimal value of `word`'s first `count` bytes (1...8), which must be ASCII digits, the
    /// first the most significant: three multiply-and-add steps over pairs, fours and eights.
    @inlinable @inline(__always)
    public static func digitsValue(_ word: UInt64, count: Int) -> UInt64 {
        var value = (word ^ 0x3030_3030_3030_3030) &<< UInt64(64 &- 8 &* count)  // zeros lead
        value = (value &* 10 &+ value &>> 8) & 0x00FF_00FF_00FF_00FF
        value = (value &* 100 &+ value &>> 16) & 0x0000_FFFF_0000_FFFF
        return (value &* 10000 &+ value &>> 32) & 0xFFFF_FFFF
    }

    /// The high bit of each byte of `word` that a JSON string must escape (a quote, a backslash or
    /// a control character); the lowest set bit is exact, as for ``quotesAndBackslashes(_:)``.
    @inlinable @inline(__always)
    public static func bytesToEscape(_ word: UInt64) -> UInt64 {
        let controls = (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080
        return quotesAndBackslashes(word) | controls
    }
}
