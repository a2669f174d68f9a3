import StreamQJSON

/// The fast path's pass over a record's top-level object: keys and values found with raw pointer
/// loops (strings eight bytes at a time), the wanted values classified as they are passed.
///
/// It accepts no more than ``JSONFieldLookup/forEachTopLevelField(in:_:)`` does, so a record it
/// takes is one the row engine would read the same way; anything else it declines (false), and
/// the row engine reads the record and reports what is wrong with it.
enum FastFieldScanner {
    /// Scans `data`, calling `found` with the byte range of each key and of its value (and
    /// whether a string value has escapes) until `found` returns false (decline the record).
    @inline(__always)
    static func scan(
        _ data: UnsafeRawBufferPointer,
        _ found: (_ key: Range<Int>, _ value: Range<Int>, _ escaped: Bool) -> Bool
    ) -> Bool {
        guard let base = data.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        let count = data.count
        var index = 0
        @inline(__always) func skipWhitespace() {
            while index < count {
                let byte = base[index]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
                index += 1
            }
        }
        /// Moves past a string whose opening quote is at `index`; nil if it does not end.
        @inline(__always) func skipString() -> Bool? {
            index += 1
            var escapes = false
            while true {
                while index + 8 <= count {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                    let mask = JSONBytes.quotesAndBackslashes(word)
                    if mask != 0 {
                        index += mask.trailingZeroBitCount >> 3
                        break
                    }
                    index += 8
                }
                while index < count, base[index] != UInt8(ascii: "\"") && base[index] != UInt8(ascii: "\\") {
                    index += 1
                }
                guard index < count else { return nil }
                if base[index] == UInt8(ascii: "\"") {
                    index += 1
                    return escapes
                }
                escapes = true
                index += 2
            }
        }
        @inline(__always) func word(_ text: StaticString) -> Bool {
            let length = text.utf8CodeUnitCount
            guard index + length <= count else { return false }
            for offset in 0..<length where base[index + offset] != text.utf8Start[offset] { return false }
            index += length
            return true
        }
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: "{") else { return false }
        index += 1
        skipWhitespace()
        if index < count, base[index] == UInt8(ascii: "}") { return true }
        while true {
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: "\"") else { return false }
            let keyStart = index + 1
            guard let keyEscaped = skipString(), !keyEscaped else { return false }
            let key = keyStart..<(index - 1)
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            guard index < count else { return false }
            let valueStart = index
            var escaped = false
            switch base[index] {
            case UInt8(ascii: "\""):
                guard let hadEscapes = skipString() else { return false }
                escaped = hadEscapes
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                while index < count, JSONBytes.isNumberByte(base[index]) { index += 1 }
            case UInt8(ascii: "t"): guard word("true") else { return false }
            case UInt8(ascii: "f"): guard word("false") else { return false }
            case UInt8(ascii: "n"): guard word("null") else { return false }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                do {
                    index = try JSONFieldLookup.endOfValue(in: data, at: index)
                } catch {
                    return false
                }
            default:
                return false
            }
            guard found(key, valueStart..<index, escaped) else { return false }
            skipWhitespace()
            guard index < count else { return false }
            if base[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            return base[index] == UInt8(ascii: "}")
        }
    }
}
