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
                filled += writeEscape(of: bytes[index], to: block.baseAddress! + filled)
                runStart = index + 1
                index = nextToEscape(in: bytes, from: runStart)
            }
            block[filled] = UInt8(ascii: "\"")
            output.append(contentsOf: UnsafeBufferPointer(rebasing: block[...filled]))
        }
    }

    /// Bytes of the block escapes are gathered in (on the stack).
    private static let blockBytes = 1024
    /// The longest escape, `\u001f`, and room for the closing quote.
    private static let maxEscapeBytes = 7

    /// Writes the escape of `byte` (a quote, a backslash or a control character) at `target`;
    /// returns its length.
    @inline(__always)
    private static func writeEscape(of byte: UInt8, to target: UnsafeMutablePointer<UInt8>) -> Int {
        target[0] = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): target[1] = byte
        case 0x0A: target[1] = UInt8(ascii: "n")
        case 0x0D: target[1] = UInt8(ascii: "r")
        case 0x09: target[1] = UInt8(ascii: "t")
        default:
            target[1] = UInt8(ascii: "u")
            target[2] = UInt8(ascii: "0")
            target[3] = UInt8(ascii: "0")
            target[4] = hexDigit(byte >> 4)
            target[5] = hexDigit(byte & 0xF)
            return 6
        }
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
