internal import CIntrinsics

/// The common case of ``JSONFieldLookup``: a log line written compactly (no whitespace between
/// tokens, as Go, JavaScript, Rust and Java encoders write by default) whose fields before the one
/// wanted hold strings without escapes and numbers. Each 64 bytes' quotes are found at once
/// (``QuoteMasks``), so a string is skipped by finding the next set bit, where a scanner's loop ends
/// at a place the branch predictor cannot guess. What it cannot read that way (whitespace, an
/// escape, a nested value or `true` before the field, a control character in the value wanted, a
/// line that breaks off) it leaves to the scanner, which reads the line again from the start; what
/// it answers is what the scanner would (which, like it, reads nothing past the value found).
enum CompactFieldLookup {
    enum Outcome {
        /// The field's value, or nil when the object ends without it.
        case decided(JSONFieldLookup.Value?)
        /// For the scanner to decide.
        case undecided
    }

    @inline(__always)
    static func value(ofField wanted: UnsafeRawBufferPointer, in json: UnsafeRawBufferPointer) -> Outcome {
        guard let base = json.baseAddress, json.count >= 2, base.load(as: UInt8.self) == UInt8(ascii: "{") else {
            return .undecided
        }
        let count = json.count
        var quotes = QuoteMasks(base: base, count: count)
        var position = 1
        while true {
            // A key: its quotes, then a colon.
            guard position < count, base.load(fromByteOffset: position, as: UInt8.self) == UInt8(ascii: "\""),
                let keyEnd = quotes.closingQuote(ofStringAt: position)
            else { return .undecided }
            let keyCount = keyEnd - position - 1
            let matches =
                keyCount == wanted.count
                && JSONFieldLookup.sameBytes(
                    wanted,
                    UnsafeRawBufferPointer(start: base + position + 1, count: keyCount)
                )
            position = keyEnd + 1
            guard position + 1 < count, base.load(fromByteOffset: position, as: UInt8.self) == UInt8(ascii: ":") else {
                return .undecided
            }
            position += 1
            // Its value: a string or a number.
            let first = base.load(fromByteOffset: position, as: UInt8.self)
            if first == UInt8(ascii: "\"") {
                guard let end = quotes.closingQuote(ofStringAt: position) else { return .undecided }
                if matches {
                    let raw = UnsafeRawBufferPointer(start: base + position + 1, count: end - position - 1)
                    // A control character is an error the scanner reports.
                    guard !raw.contains(where: { $0 < 0x20 }) else { return .undecided }
                    return .decided(.string(String(decoding: raw, as: UTF8.self)))
                }
                position = end + 1
            } else if first &- UInt8(ascii: "0") < 10 || first == UInt8(ascii: "-") {
                let end = JSONBytes.endOfNumber(in: base, count: count, from: position)
                if matches {
                    let text = UnsafeRawBufferPointer(start: base + position, count: end - position)
                    return .decided(.literal(String(decoding: text, as: UTF8.self)))
                }
                position = end
            } else {
                return .undecided
            }
            // Then the next field, or the end of the object.
            guard position < count else { return .undecided }
            switch base.load(fromByteOffset: position, as: UInt8.self) {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"): return .decided(nil)
            default: return .undecided
            }
        }
    }
}

/// The quotes and backslashes of a JSON text, a bit per byte, 64 bytes at a time as a string
/// scan reaches them.
struct QuoteMasks {
    private let base: UnsafeRawPointer
    private let count: Int
    /// The first byte of the block the masks are of.
    private var blockStart = 0
    private var quotes: UInt64 = 0
    private var backslashes: UInt64 = 0

    @inline(__always)
    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
        load(blockAt: 0)
    }

    /// Where the string whose opening quote is at `opening` ends (its closing quote), or nil when
    /// the text ends first or a backslash comes before it (an escape: for the scanner).
    @inline(__always)
    mutating func closingQuote(ofStringAt opening: Int) -> Int? {
        var from = opening + 1
        while from < count {
            if from >= blockStart + 64 { load(blockAt: from & ~63) }
            let shift = UInt64(from - blockStart)
            let quotesAhead = quotes >> shift
            let backslashesAhead = backslashes >> shift
            if quotesAhead != 0 {
                let distance = quotesAhead.trailingZeroBitCount
                guard backslashesAhead.trailingZeroBitCount > distance else { return nil }
                return from + distance
            }
            guard backslashesAhead == 0 else { return nil }
            from = blockStart + 64
        }
        return nil
    }

    /// The masks of the 64 bytes from `start` (a multiple of 64); past the end of the text, no bits.
    @inline(__always)
    private mutating func load(blockAt start: Int) {
        blockStart = start
        if start + 64 <= count {
            streamq_quote_masks64(base + start, &quotes, &backslashes)
        } else {
            // The last, partial block: from a copy padded with zeros, so no byte past the text is read.
            var padded: (SIMD32<UInt8>, SIMD32<UInt8>) = (.zero, .zero)
            withUnsafeMutableBytes(of: &padded) { copy in
                copy.baseAddress!.copyMemory(from: base + start, byteCount: count - start)
                streamq_quote_masks64(copy.baseAddress!, &quotes, &backslashes)
            }
        }
    }
}
