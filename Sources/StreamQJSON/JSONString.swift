/// Writes JSON string literals: quotes, backslashes and control characters escaped, everything else
/// (including non-ASCII UTF-8) passed through.
public enum JSONString {
    /// Appends `text` as a quoted JSON string to `output`.
    @inlinable
    public static func append<Bytes: Collection<UInt8>>(_ text: Bytes, to output: inout [UInt8]) {
        let copied = text.withContiguousStorageIfAvailable { bytes -> Bool in
            appendContiguous(bytes, to: &output)
            return true
        }
        if copied == true { return }
        Array(text).withUnsafeBufferPointer { appendContiguous($0, to: &output) }
    }

    /// Appends `bytes` quoted: runs without anything to escape (usually the whole text) are found
    /// eight bytes at a time, and the quotes, runs and escapes are gathered in a block on the stack
    /// and appended a block at a time (a short text in one append); a run longer than a block is
    /// appended on its own.
    @usableFromInline
    static func appendContiguous(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockBytes) { block in
            block[0] = UInt8(ascii: "\"")
            var filled = 1
            var runStart = 0
            var index = nextToEscape(in: bytes, from: 0)
            while true {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                if filled + run.count + maxEscapeBytes > block.count {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: block[..<filled]))
                    filled = 0
                }
                if run.count + maxEscapeBytes > block.count {
                    output.append(contentsOf: run)
                } else if !run.isEmpty {
                    UnsafeMutableRawPointer(block.baseAddress! + filled).copyMemory(
                        from: run.baseAddress!,
                        byteCount: run.count
                    )
                    filled += run.count
                }
                guard index < bytes.count else { break }
                filled += writeEscape(of: bytes[index], to: UnsafeMutableRawPointer(block.baseAddress! + filled))
                runStart = index + 1
                index = nextToEscape(in: bytes, from: runStart)
            }
            block[filled] = UInt8(ascii: "\"")
            output.append(contentsOf: UnsafeBufferPointer(rebasing: block[...filled]))
        }
    }

    /// The most bytes ``write(_:to:)`` writes for a text of `count` bytes: every byte a `\u00XX`
    /// escape, the two quotes, and room for the eight-byte stores it copies with.
    public static func maxQuotedBytes(_ count: Int) -> Int { count * 6 + 2 + 8 }

    /// Writes `bytes` as a quoted JSON string at `target`, which must have room for
    /// ``maxQuotedBytes(_:)``, in one pass: eight bytes at a time, each word stored as it is and
    /// then scanned; from the first byte to escape in it, what follows is read again after its
    /// escape.
    /// - Returns: the bytes written, and whether every byte of the text is ASCII (a caller that
    ///   needs valid UTF-8 checks the others).
    public static func write(
        _ bytes: UnsafeRawBufferPointer,
        to target: UnsafeMutableRawPointer
    ) -> (
        count: Int, isASCII: Bool
    ) {
        target.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        var written = 1
        var highBits: UInt64 = 0
        var index = 0
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                (target + written).storeBytes(of: word.littleEndian, as: UInt64.self)
                highBits |= word
                let escapes = JSONBytes.bytesToEscape(word)
                if escapes == 0 {
                    written += 8
                    index += 8
                    continue
                }
                let clean = escapes.trailingZeroBitCount >> 3
                let byte = base.load(fromByteOffset: index + clean, as: UInt8.self)
                written += clean + writeEscape(of: byte, to: target + written + clean)
                index += clean + 1
            }
            while index < bytes.count {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                highBits |= UInt64(byte)
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    written += writeEscape(of: byte, to: target + written)
                } else {
                    (target + written).storeBytes(of: byte, as: UInt8.self)
                    written += 1
                }
                index += 1
            }
        }
        (target + written).storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        return (written + 1, highBits & 0x8080_8080_8080_8080 == 0)
    }

    /// Bytes of the block escapes are gathered in (on the stack).
    private static let blockBytes = 1024
    /// The longest escape, `\u001f`, and room for the closing quote.
    private static let maxEscapeBytes = 7

    /// Writes the escape of `byte` (a quote, a backslash or a control character) at `target`;
    /// returns its length.
    @inline(__always)
    private static func writeEscape(of byte: UInt8, to target: UnsafeMutableRawPointer) -> Int {
        // A quote or a backslash (the usual ones) is the byte after a backslash.
        if byte >= 0x20 {
            target.storeBytes(of: (UInt16(byte) << 8 | UInt16(UInt8(ascii: "\\"))).littleEndian, as: UInt16.self)
            return 2
        }
        target.storeBytes(of: UInt8(ascii: "\\"), as: UInt8.self)
        let second: UInt8
        switch byte {
        case 0x0A: second = UInt8(ascii: "n")
        case 0x0D: second = UInt8(ascii: "r")
        case 0x09: second = UInt8(ascii: "t")
        default:
            target.storeBytes(of: UInt8(ascii: "u"), toByteOffset: 1, as: UInt8.self)
            target.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 2, as: UInt8.self)
            target.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 3, as: UInt8.self)
            target.storeBytes(of: hexDigit(byte >> 4), toByteOffset: 4, as: UInt8.self)
            target.storeBytes(of: hexDigit(byte & 0xF), toByteOffset: 5, as: UInt8.self)
            return 6
        }
        target.storeBytes(of: second, toByteOffset: 1, as: UInt8.self)
        return 2
    }

    /// The first byte at or after `start` that must be escaped, or `bytes.count`.
    private static func nextToEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        let raw = UnsafeRawBufferPointer(bytes)
        while index + 8 <= bytes.count {
            let mask = JSONBytes.bytesToEscape(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian)
            if mask != 0 { return index + mask.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            index += 1
        }
        return index
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// `text` as a quoted JSON string.
    public static func quoted(_ text: String) -> String {
        var output: [UInt8] = []
        append(text.utf8, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
