/// Byte tests the JSON scanners share.
public enum JSONBytes {
    /// Bytes that can appear in a JSON number (the scanners take a run of them; the value's parser
    /// decides what the run means).
    @inlinable @inline(__always)
    public static func isNumberByte(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte | 0x20 == UInt8(ascii: "e") || byte == UInt8(ascii: "+")
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

    /// The high bit of each byte of `word` that a JSON string must escape (a quote, a backslash or
    /// a control character); the lowest set bit is exact, as for ``quotesAndBackslashes(_:)``.
    @inlinable @inline(__always)
    public static func bytesToEscape(_ word: UInt64) -> UInt64 {
        let controls = (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080
        return quotesAndBackslashes(word) | controls
    }
}
