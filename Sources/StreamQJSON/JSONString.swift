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

    /// Appends `bytes` quoted: runs without anything to escape (usually the whole text) are copied
    /// in one go, and only quotes, backslashes and control characters are written one by one.
    @usableFromInline
    static func appendContiguous(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            output.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "t"))
            default:
                output.append(UInt8(ascii: "u"))
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "0"))
                output.append(hexDigit(byte >> 4))
                output.append(hexDigit(byte & 0xF))
            }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        output.append(UInt8(ascii: "\""))
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
