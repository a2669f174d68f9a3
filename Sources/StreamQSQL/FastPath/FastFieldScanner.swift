import StreamQJSON

/// The fast path's pass over a record's top-level object: keys and values found with raw pointer
/// loops (strings eight bytes at a time), the usual key at each position recognised from the
/// worker's ``FastKeyLayout``, the wanted values classified (numbers parsed) as they are passed.
///
/// It accepts no more than ``JSONFieldLookup/forEachTopLevelField(in:_:)`` does, so a record it
/// takes is one the row engine would read the same way; anything else it declines (false), and
/// the row engine reads the record and reports what is wrong with it.
struct FastFieldScanner {
    private let data: UnsafeRawBufferPointer
    private let base: UnsafePointer<UInt8>
    private let count: Int
    private var index = 0

    private init(_ data: UnsafeRawBufferPointer, base: UnsafePointer<UInt8>) {
        self.data = data
        self.base = base
        count = data.count
    }

    /// Scans `data`, calling `entry` with each key not predicted by `layout` (its bytes between the
    /// quotes; it returns the wanted field's entry, or -1), and `found` with each wanted field's
    /// entry and value. A wanted number is parsed only where `parsesNumber` holds for its entry
    /// (else it is passed over and not reported). Returns false to decline the record: it is not a
    /// well-formed JSON object, a key has escapes, or a wanted string has escapes or is not UTF-8.
    @inline(__always)
    static func scan(
        _ data: UnsafeRawBufferPointer,
        layout: FastKeyLayout,
        entry entryForKey: (UnsafeRawBufferPointer) -> Int,
        parsesNumber: (_ entry: Int) -> Bool,
        found: (_ entry: Int, _ value: FastValue) -> Void
    ) -> Bool {
        guard let base = data.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        var scanner = FastFieldScanner(data, base: base)
        return scanner.scanObject(layout: layout, entry: entryForKey, parsesNumber: parsesNumber, found: found)
    }

    @inline(__always)
    private mutating func scanObject(
        layout: FastKeyLayout,
        entry entryForKey: (UnsafeRawBufferPointer) -> Int,
        parsesNumber: (_ entry: Int) -> Bool,
        found: (_ entry: Int, _ value: FastValue) -> Void
    ) -> Bool {
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: "{") else { return false }
        index += 1
        skipWhitespace()
        if index < count, base[index] == UInt8(ascii: "}") { return true }
        var position = 0
        while true {
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: "\"") else { return false }
            let entry: Int
            if let predicted = layout.predict(position, at: base + index, available: count - index) {
                entry = predicted.entry
                index += predicted.length
            } else {
                let tokenStart = index
                guard let keyEscaped = skipString(), !keyEscaped else { return false }
                let key = UnsafeRawBufferPointer(rebasing: data[(tokenStart + 1)..<(index - 1)])
                let keyEnd = index
                skipWhitespace()
                guard index < count, base[index] == UInt8(ascii: ":") else { return false }
                index += 1
                entry = entryForKey(key)
                layout.learn(
                    position,
                    token: keyEnd + 1 == index ? UnsafeRawBufferPointer(rebasing: data[tokenStart..<index]) : nil,
                    entry: entry
                )
            }
            position += 1
            skipWhitespace()
            guard index < count else { return false }
            let valueStart = index
            var value: FastValue?
            switch base[index] {
            case UInt8(ascii: "\""):
                guard let escaped = skipString() else { return false }
                if entry >= 0 {
                    let raw = UnsafeRawBufferPointer(rebasing: data[valueStart..<index])
                    guard let string = FastValue(rawJSON: raw, offset: valueStart, escaped: escaped) else {
                        return false
                    }
                    value = string
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if entry >= 0 && parsesNumber(entry) { value = number() } else { skipNumber() }
            case UInt8(ascii: "t"):
                guard word("true") else { return false }
                value = FastValue(boolean: true)
            case UInt8(ascii: "f"):
                guard word("false") else { return false }
                value = FastValue(boolean: false)
            case UInt8(ascii: "n"):
                guard word("null") else { return false }
                value = .null
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                do {
                    index = try JSONFieldLookup.endOfValue(in: data, at: index)
                } catch {
                    return false
                }
                value = FastValue(
                    rawJSON: UnsafeRawBufferPointer(rebasing: data[valueStart..<index]),
                    offset: valueStart,
                    escaped: false
                )
            default:
                return false
            }
            if entry >= 0, let value { found(entry, value) }
            skipWhitespace()
            guard index < count else { return false }
            if base[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            return base[index] == UInt8(ascii: "}")
        }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < count {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    /// Moves past a string whose opening quote is at `index`; nil if it does not end, else whether
    /// it has escapes.
    @inline(__always)
    private mutating func skipString() -> Bool? {
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

    @inline(__always)
    private mutating func word(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard index + length <= count else { return false }
        for offset in 0..<length where base[index + offset] != text.utf8Start[offset] { return false }
        index += length
        return true
    }

    /// Moves past the number at `index`: its digits eight bytes at a time, then whatever else a
    /// number holds byte by byte.
    @inline(__always)
    private mutating func skipNumber() {
        index = JSONBytes.endOfNumber(in: UnsafeRawPointer(base), count: count, from: index)
    }

    @inline(__always)
    private func loadWord() -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
    }

    /// Adds the decimal digits at `index` to `mantissa`; returns how many there were. Eight digits
    /// in a row (the start of a millisecond timestamp) are folded in at once
    /// (``JSONBytes/eightDigitsValue(_:)``); shorter runs byte by byte, which is quicker for them
    /// than the word's chain of multiplications.
    @inline(__always)
    private mutating func digits(into mantissa: inout Int64) -> Int {
        let start = index
        while index + 8 <= count {
            let word = loadWord()
            let run = JSONBytes.leadingDigitCount(word)
            guard run > 0 else { return index - start }
            mantissa = mantissa &* Self.powersOfTen[run] &+ Int64(JSONBytes.digitsValue(word, count: run))
            index += run
            if run < 8 { return index - start }
        }
        while index < count {
            let digit = base[index] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            mantissa = mantissa &* 10 &+ Int64(digit)
            index += 1
        }
        return index - start
    }

    /// The number at `index`: an integer or `[-]digits.digits` read as it is passed, anything else
    /// classified from its bytes as ``FastValue/init(rawJSON:offset:escaped:)`` does.
    @inline(__always)
    private mutating func number() -> FastValue? {
        let start = index
        let negative = base[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var mantissa: Int64 = 0
        let integerDigits = digits(into: &mantissa)
        var fractionDigits = -1
        if index < count, base[index] == UInt8(ascii: ".") {
            index += 1
            fractionDigits = digits(into: &mantissa)
        }
        if index < count, JSONBytes.isNumberByte(base[index]) {
            skipNumber()  // an exponent, a sign, a second point: the general classification
        } else if fractionDigits < 0, integerDigits > 0, integerDigits <= 18 {
            return FastValue(integer: negative ? -mantissa : mantissa)
        } else if integerDigits > 0, fractionDigits > 0, integerDigits + fractionDigits <= 15 {
            return FastValue(decimalMantissa: mantissa, fractionDigits: fractionDigits, negative: negative)
        }
        return FastValue(rawJSON: UnsafeRawBufferPointer(rebasing: data[start..<index]), offset: start, escaped: false)
    }

    /// 10^n for the n digits a word can hold: a table (a switch became a jump the CPU mispredicted
    /// whenever the length of the numbers changed).
    private static let powersOfTen: [Int64] = [1, 10, 100, 1000, 10000, 100_000, 1_000_000, 10_000_000, 100_000_000]
}
