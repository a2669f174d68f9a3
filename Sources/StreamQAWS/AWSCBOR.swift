/// The AWS CBOR 1.1 body codec (`application/x-amz-cbor-1.1`), as the AWS SDKs for Java send it.
///
/// Decoding accepts every major type with definite or indefinite lengths (Jackson writes
/// indefinite-length maps, arrays and strings), half, single and double floats, and unwraps tags;
/// tag 1 is read as epoch *milliseconds* (AWS's deviation from RFC 8949). It refuses non-string map
/// keys, invalid UTF-8, trailing bytes, nesting deeper than 64, and lengths longer than the input.
/// Encoding writes definite lengths, the shortest integer heads, doubles as 64-bit floats,
/// `.timestamp` as tag 1 around integer milliseconds, and map keys in sorted order.
public enum AWSCBOR {
    /// Decodes the CBOR data item that makes up all of `bytes`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(AWSCodecError) -> AWSValue {
        var parser = CBORParser(bytes)
        return try parser.parseDocument()
    }

    /// Decodes the CBOR data item that makes up all of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(AWSCodecError) -> AWSValue {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(AWSCodecError) in try decode(raw) } }
        return try result.get()
    }

    /// Appends `value` as CBOR to `buffer`.
    public static func encode(_ value: AWSValue, into buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(0xF6)
        case .bool(let flag): buffer.append(flag ? 0xF5 : 0xF4)
        case .integer(let number):
            if number >= 0 {
                appendHead(major: 0, UInt64(number), to: &buffer)
            } else {
                appendHead(major: 1, UInt64(bitPattern: -1 - number), to: &buffer)
            }
        case .double(let number):
            buffer.append(0xFB)
            appendBigEndian(number.bitPattern, to: &buffer)
        case .string(let text):
            appendHead(major: 3, UInt64(text.utf8.count), to: &buffer)
            buffer.append(contentsOf: text.utf8)
        case .blob(let bytes):
            appendHead(major: 2, UInt64(bytes.count), to: &buffer)
            buffer.append(contentsOf: bytes)
        case .timestamp(let milliseconds):
            buffer.append(0xC1)
            encode(.integer(milliseconds), into: &buffer)
        case .list(let elements):
            appendHead(major: 4, UInt64(elements.count), to: &buffer)
            for element in elements { encode(element, into: &buffer) }
        case .map(let members):
            appendHead(major: 5, UInt64(members.count), to: &buffer)
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                encode(.string(key), into: &buffer)
                encode(member, into: &buffer)
            }
        }
    }

    /// Encodes `value` as CBOR and returns the bytes.
    public static func encode(_ value: AWSValue) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(value, into: &buffer)
        return buffer
    }

    /// A data item head with the shortest encoding of `argument`.
    package static func appendHead(major: UInt8, _ argument: UInt64, to buffer: inout [UInt8]) {
        let type = major << 5
        switch argument {
        case 0..<24: buffer.append(type | UInt8(argument))
        case 24...0xFF:
            // Two appends: an array literal here was an allocation per head (every record's data
            // length in a GetRecords answer).
            buffer.append(type | 24)
            buffer.append(UInt8(argument))
        case 0x100...0xFFFF:
            buffer.append(type | 25)
            appendBigEndian(UInt16(argument), to: &buffer)
        case 0x1_0000...0xFFFF_FFFF:
            buffer.append(type | 26)
            appendBigEndian(UInt32(argument), to: &buffer)
        default:
            buffer.append(type | 27)
            appendBigEndian(argument, to: &buffer)
        }
    }

}
