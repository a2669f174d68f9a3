/// Strings from bytes that must be valid UTF-8, checked eight ASCII bytes at a time; the decoders'
/// hot path (the standard library's `String(validating:)` is slower for the many short strings of
/// a request body).
enum UTF8Text {
    /// `bytes` as a string, or nil unless they are well-formed UTF-8 (no overlong forms,
    /// surrogates or scalars above U+10FFFF).
    static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard isValid(bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `bytes` as a string, or nil unless they are well-formed UTF-8.
    static func string(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { string($0) }
    }

    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            if index + 8 <= count && bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & highBits == 0 {
                index += 8
                continue
            }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                secondRange = 0xA0...0xBF  // no overlong three-byte forms
            case 0xED:
                length = 3
                secondRange = 0x80...0x9F  // no surrogates
            case 0xE1...0xEF: length = 3
            case 0xF0:
                length = 4
                secondRange = 0x90...0xBF  // no overlong four-byte forms
            case 0xF4:
                length = 4
                secondRange = 0x80...0x8F  // nothing above U+10FFFF
            case 0xF1...0xF3: length = 4
            default: return false
            }
            guard index + length <= count, secondRange.contains(bytes[index + 1]) else { return false }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    private static let highBits: UInt64 = 0x8080_8080_8080_8080
}
