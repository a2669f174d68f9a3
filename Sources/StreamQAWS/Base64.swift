/// Base64 with the standard alphabet and padding (RFC 4648 §4), as AWS JSON carries blobs.
public enum Base64 {
    /// The bytes `text` encodes; nil unless it is complete padded base64 of the standard alphabet
    /// (no whitespace, no URL-safe characters, length a multiple of 4).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) {
            return decoded
        }
        return Array(text.utf8).withUnsafeBytes { decode($0) }
    }

    /// The bytes the base64 text in `utf8` encodes; nil when it is not valid (see the `StringProtocol` overload).
    public static func decode(_ utf8: [UInt8]) -> [UInt8]? {
        utf8.withUnsafeBytes { decode($0) }
    }

    /// The bytes the base64 text in `utf8` encodes; nil when it is not valid (see the `StringProtocol` overload).
    public static func decode(_ utf8: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = utf8.count
        guard count % 4 == 0 else { return nil }
        guard count > 0 else { return [] }
        let padding = utf8[count - 1] == equals ? (utf8[count - 2] == equals ? 2 : 1) : 0
        let decodedCount = count / 4 * 3 - padding
        let blocks = count / 4 - (padding > 0 ? 1 : 0)
        var valid = true
        let decoded = [UInt8](unsafeUninitializedCapacity: decodedCount) { output, initialized in
            decodeTable.withUnsafeBufferPointer { table in
                var input = 0
                var written = 0
                for _ in 0..<blocks {
                    let a = table[Int(utf8[input])]
                    let b = table[Int(utf8[input + 1])]
                    let c = table[Int(utf8[input + 2])]
                    let d = table[Int(utf8[input + 3])]
                    if (a | b | c | d) & 0x80 != 0 {
                        valid = false
                        break
                    }
                    let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[written] = UInt8(truncatingIfNeeded: bits >> 16)
                    output[written + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                    output[written + 2] = UInt8(truncatingIfNeeded: bits)
                    input += 4
                    written += 3
                }
                if valid && padding > 0 {
                    let a = table[Int(utf8[input])]
                    let b = table[Int(utf8[input + 1])]
                    let c = padding == 2 ? 0 : table[Int(utf8[input + 2])]
                    if (a | b | c) & 0x80 != 0 {
                        valid = false
                    } else {
                        let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                        output[written] = UInt8(truncatingIfNeeded: bits >> 16)
                        written += 1
                        if padding == 1 {
                            output[written] = UInt8(truncatingIfNeeded: bits >> 8)
                            written += 1
                        }
                    }
                }
                initialized = valid ? written : 0
            }
        }
        return valid ? decoded : nil
    }

    /// Appends the padded base64 encoding of `bytes` to `output`.
    public static func encode(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) {
        if bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0), into: &output) }) == nil {
            Array(bytes).withUnsafeBytes { encode($0, into: &output) }
        }
    }

    /// The padded base64 encoding of `bytes` as a string.
    public static func encodedString(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        encode(bytes, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static func encode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        let count = bytes.count
        let encodedCount = (count + 2) / 3 * 4
        let start = output.count
        output.append(contentsOf: repeatElement(equals, count: encodedCount))
        output.withUnsafeMutableBufferPointer { buffer in
            let alphabet = encodeAlphabet
            var input = 0
            var written = start
            while input + 3 <= count {
                let bits = UInt32(bytes[input]) << 16 | UInt32(bytes[input + 1]) << 8 | UInt32(bytes[input + 2])
                buffer[written] = alphabet[Int(bits >> 18)]
                buffer[written + 1] = alphabet[Int(bits >> 12 & 0x3F)]
                buffer[written + 2] = alphabet[Int(bits >> 6 & 0x3F)]
                buffer[written + 3] = alphabet[Int(bits & 0x3F)]
                input += 3
                written += 4
            }
            let rest = count - input
            if rest > 0 {
                let bits = UInt32(bytes[input]) << 16 | (rest == 2 ? UInt32(bytes[input + 1]) << 8 : 0)
                buffer[written] = alphabet[Int(bits >> 18)]
                buffer[written + 1] = alphabet[Int(bits >> 12 & 0x3F)]
                if rest == 2 { buffer[written + 2] = alphabet[Int(bits >> 6 & 0x3F)] }
            }
        }
    }

    private static let equals = UInt8(ascii: "=")

    private static let encodeAlphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )

    /// Each byte's 6-bit value, or 0xFF for bytes outside the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in encodeAlphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()
}
