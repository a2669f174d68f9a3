/// The AWS JSON 1.1 body codec (`application/x-amz-json-1.1`).
///
/// Decoding yields strings and numbers for blobs and timestamps (see ``AWSValue/blobValue`` and
/// ``AWSValue/timestampMilliseconds``); encoding writes `.blob` as base64 and `.timestamp` as epoch
/// seconds with a millisecond fraction, and map keys in sorted order so equal values give equal
/// bytes. Decoding refuses invalid UTF-8, trailing bytes and nesting deeper than 64 containers.
public enum AWSJSON {
    /// Decodes the JSON document that makes up all of `bytes`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(AWSCodecError) -> AWSValue {
        var parser = JSONParser(bytes)
        return try parser.parseDocument()
    }

    /// Decodes the JSON document that makes up all of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(AWSCodecError) -> AWSValue {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(AWSCodecError) in try decode(raw) } }
        return try result.get()
    }

    /// Appends `value` as JSON to `buffer`.
    public static func encode(_ value: AWSValue, into buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: "null".utf8)
        case .bool(let flag): buffer.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): appendDecimal(number, to: &buffer)
        case .double(let number): appendDouble(number, to: &buffer)
        case .string(let text): appendString(text, to: &buffer)
        case .blob(let bytes):
            buffer.append(UInt8(ascii: "\""))
            Base64.encode(bytes, into: &buffer)
            buffer.append(UInt8(ascii: "\""))
        case .timestamp(let milliseconds): appendEpochSeconds(milliseconds: milliseconds, to: &buffer)
        case .list(let elements):
            buffer.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                encode(element, into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .map(let members):
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                appendString(key, to: &buffer)
                buffer.append(UInt8(ascii: ":"))
                encode(member, into: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `value` as JSON and returns the bytes.
    public static func encode(_ value: AWSValue) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(value, into: &buffer)
        return buffer
    }

    /// A quoted JSON string: quotes, backslashes and control characters escaped, everything else
    /// (including non-ASCII UTF-8) as is.
    package static func appendString(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &buffer) }
    }

    /// A quoted JSON string of valid UTF-8 `bytes`, escaped as ``appendString(_:to:)`` does.
    package static func appendString(utf8 bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var copied = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[copied..<index]))
            copied = index + 1
            switch byte {
            case 0x22: buffer.append(contentsOf: [0x5C, 0x22])
            case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: buffer.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: buffer.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            default:
                buffer.append(contentsOf: "\\u00".utf8)
                buffer.append(hexDigits[Int(byte >> 4)])
                buffer.append(hexDigits[Int(byte & 0xF)])
            }
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[copied...]))
        buffer.append(UInt8(ascii: "\""))
    }

    /// A double in the shortest form that reads back as the same value; JSON has no NaN or
    /// infinities, which are written as the strings AWS uses for them.
    private static func appendDouble(_ number: Double, to buffer: inout [UInt8]) {
        if number.isNaN {
            buffer.append(contentsOf: "\"NaN\"".utf8)
        } else if number.isInfinite {
            buffer.append(contentsOf: (number > 0 ? "\"Infinity\"" : "\"-Infinity\"").utf8)
        } else {
            buffer.append(contentsOf: number.description.utf8)
        }
    }

    /// Epoch seconds with a three-digit millisecond fraction, or a whole number on a second.
    package static func appendEpochSeconds(milliseconds: Int64, to buffer: inout [UInt8]) {
        let magnitude = milliseconds.magnitude
        if milliseconds < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDecimal(magnitude / 1000, to: &buffer)
        let fraction = magnitude % 1000
        guard fraction != 0 else { return }
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        buffer.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        buffer.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }

    package static func appendDecimal(_ number: Int64, to buffer: inout [UInt8]) {
        if number < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDecimal(number.magnitude, to: &buffer)
    }

    private static func appendDecimal(_ number: UInt64, to buffer: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, most significant last
        var count = 0
        var rest = number
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(scratch[index]) }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
