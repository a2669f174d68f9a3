/// Writes JSON string literals: quotes, backslashes and control characters escaped, everything else
/// (including non-ASCII UTF-8) passed through.
public enum JSONString {
    /// Appends `text` as a quoted JSON string to `output`.
    @inlinable
    public static func append<Bytes: Collection<UInt8>>(_ text: Bytes, to output: inout [UInt8]) {
        let done = text.withContiguousStorageIfAvailable { bytes in append(bytes, to: &output) }
        if done == nil { Array(text).withUnsafeBufferPointer { append($0, to: &output) } }
    }

    /// Appends `text` quoted: the runs between bytes that need escaping are copied whole.
    @usableFromInline
    static func append(_ text: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { output.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<index])) }
            runStart = index + 1
            output.append(0x5C)
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
            case 0x0A: output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "t"))
            default:
                output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0xF)])
            }
        }
        if runStart < text.count { output.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...])) }
        output.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `text` as a quoted JSON string.
    public static func quoted(_ text: String) -> String {
        var output: [UInt8] = []
        append(text.utf8, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
