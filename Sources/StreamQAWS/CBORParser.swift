/// A CBOR (RFC 8949) parser producing ``AWSValue``s (see ``AWSCBOR``).
struct CBORParser {
    /// Arrays, maps and tags may nest this deep; deeper documents are refused.
    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses the one data item that must make up the whole input.
    mutating func parseDocument() throws(AWSCodecError) -> AWSValue {
        let value = try parseValue(depth: 0)
        guard position == bytes.count else {
            throw AWSCodecError("trailing bytes after the CBOR data item", at: position)
        }
        return value
    }

    private mutating func parseValue(depth: Int) throws(AWSCodecError) -> AWSValue {
        let start = position
        let initial = try readByte()
        let major = initial >> 5
        let info = initial & 0x1F
        switch major {
        case 0:
            let value = try readArgument(info, at: start)
            return value <= UInt64(Int64.max) ? .integer(Int64(value)) : .double(Double(value))
        case 1:
            let value = try readArgument(info, at: start)
            return value <= UInt64(Int64.max) ? .integer(-1 - Int64(value)) : .double(-1 - Double(value))
        case 2:
            return .blob(try readByteString(info, at: start))
        case 3:
            return .string(try readTextString(info, at: start))
        case 4:
            return try parseArray(info, at: start, depth: depth + 1)
        case 5:
            return try parseMap(info, at: start, depth: depth + 1)
        case 6:
            let tag = try readArgument(info, at: start)
            guard depth + 1 <= Self.maximumDepth else { throw tooDeep(at: start) }
            let content = try parseValue(depth: depth + 1)
            guard tag == 1 else { return content }
            // AWS writes epoch *milliseconds* under tag 1, not the seconds RFC 8949 specifies.
            switch content {
            case .integer(let milliseconds): return .timestamp(milliseconds: milliseconds)
            case .double(let milliseconds):
                guard let whole = Int64(exactly: milliseconds.rounded()) else {
                    throw AWSCodecError("CBOR timestamp out of range", at: start)
                }
                return .timestamp(milliseconds: whole)
            default: throw AWSCodecError("CBOR tag 1 (timestamp) must wrap a number", at: start)
            }
        default:
            return try parseSimple(info, at: start)
        }
    }

    private mutating func parseSimple(_ info: UInt8, at start: Int) throws(AWSCodecError) -> AWSValue {
        switch info {
        case 20: return .bool(false)
        case 21: return .bool(true)
        case 22, 23: return .null  // null, undefined
        case 25: return .double(Self.halfToDouble(UInt16(try readBigEndian(2))))
        case 26: return .double(Double(Float(bitPattern: UInt32(try readBigEndian(4)))))
        case 27: return .double(Double(bitPattern: try readBigEndian(8)))
        case 31: throw AWSCodecError("CBOR break outside an indefinite-length item", at: start)
        default: throw AWSCodecError("unsupported CBOR simple value \(info)", at: start)
        }
    }

    private mutating func parseArray(_ info: UInt8, at start: Int, depth: Int) throws(AWSCodecError) -> AWSValue {
        guard depth <= Self.maximumDepth else { throw tooDeep(at: start) }
        var elements: [AWSValue] = []
        if info == 31 {
            while try !atBreak() { elements.append(try parseValue(depth: depth)) }
            return .list(elements)
        }
        let count = try readArgument(info, at: start)
        guard count <= UInt64(bytes.count - position) else { throw claims(count, "array elements", at: start) }
        elements.reserveCapacity(Int(count))
        for _ in 0..<count { elements.append(try parseValue(depth: depth)) }
        return .list(elements)
    }

    private mutating func parseMap(_ info: UInt8, at start: Int, depth: Int) throws(AWSCodecError) -> AWSValue {
        guard depth <= Self.maximumDepth else { throw tooDeep(at: start) }
        var members: [String: AWSValue] = [:]
        if info == 31 {
            while try !atBreak() {
                let key = try parseKey()
                members[key] = try parseValue(depth: depth)
            }
            return .map(members)
        }
        let count = try readArgument(info, at: start)
        guard count <= UInt64(bytes.count - position) / 2 else { throw claims(count, "map entries", at: start) }
        members.reserveCapacity(Int(count))
        for _ in 0..<count {
            let key = try parseKey()
            members[key] = try parseValue(depth: depth)
        }
        return .map(members)
    }

    private mutating func parseKey() throws(AWSCodecError) -> String {
        let start = position
        let initial = try readByte()
        guard initial >> 5 == 3 else { throw AWSCodecError("CBOR map key is not a text string", at: start) }
        return try readTextString(initial & 0x1F, at: start)
    }

    private mutating func readTextString(_ info: UInt8, at start: Int) throws(AWSCodecError) -> String {
        let text: String?
        if info == 31 {
            let utf8 = try readChunks(major: 3, at: start)
            text = UTF8Text.string(utf8)
        } else {
            let range = try readDefiniteRange(info, at: start)
            text = UTF8Text.string(UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
        guard let text else { throw AWSCodecError("invalid UTF-8 in a CBOR text string", at: start) }
        return text
    }

    private mutating func readByteString(_ info: UInt8, at start: Int) throws(AWSCodecError) -> [UInt8] {
        if info == 31 { return try readChunks(major: 2, at: start) }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[try readDefiniteRange(info, at: start)]))
    }

    /// The concatenated chunks of an indefinite-length byte or text string, each a definite string
    /// of the same major type.
    private mutating func readChunks(major: UInt8, at start: Int) throws(AWSCodecError) -> [UInt8] {
        var joined: [UInt8] = []
        while try !atBreak() {
            let chunkStart = position
            let initial = try readByte()
            guard initial >> 5 == major, initial & 0x1F != 31 else {
                throw AWSCodecError("CBOR indefinite-length string holds a chunk of another kind", at: chunkStart)
            }
            joined.append(
                contentsOf: UnsafeRawBufferPointer(
                    rebasing: bytes[try readDefiniteRange(initial & 0x1F, at: chunkStart)]
                )
            )
        }
        return joined
    }

    /// The bytes of a definite-length string whose header argument follows, checked against the input.
    private mutating func readDefiniteRange(_ info: UInt8, at start: Int) throws(AWSCodecError) -> Range<Int> {
        let length = try readArgument(info, at: start)
        guard length <= UInt64(bytes.count - position) else { throw claims(length, "bytes", at: start) }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Consumes a break byte if one is next; throws at the end of the input.
    private mutating func atBreak() throws(AWSCodecError) -> Bool {
        guard position < bytes.count else {
            throw AWSCodecError("unexpected end of CBOR input inside an indefinite-length item", at: position)
        }
        guard bytes[position] == 0xFF else { return false }
        position += 1
        return true
    }

    private mutating func readArgument(_ info: UInt8, at start: Int) throws(AWSCodecError) -> UInt64 {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return try readBigEndian(1)
        case 25: return try readBigEndian(2)
        case 26: return try readBigEndian(4)
        case 27: return try readBigEndian(8)
        case 31: throw AWSCodecError("indefinite length not allowed for this CBOR major type", at: start)
        default: throw AWSCodecError("reserved CBOR additional information \(info)", at: start)
        }
    }

    private mutating func readBigEndian(_ count: Int) throws(AWSCodecError) -> UInt64 {
        guard count <= bytes.count - position else { throw AWSCodecError("unexpected end of CBOR input", at: position) }
        var value: UInt64 = 0
        for offset in 0..<count { value = value << 8 | UInt64(bytes[position + offset]) }
        position += count
        return value
    }

    private mutating func readByte() throws(AWSCodecError) -> UInt8 {
        guard position < bytes.count else { throw AWSCodecError("unexpected end of CBOR input", at: position) }
        defer { position += 1 }
        return bytes[position]
    }

    private func tooDeep(at offset: Int) -> AWSCodecError {
        AWSCodecError("CBOR nested deeper than \(Self.maximumDepth) levels", at: offset)
    }

    private func claims(_ count: UInt64, _ what: String, at offset: Int) -> AWSCodecError {
        AWSCodecError("CBOR header claims \(count) \(what) but only \(bytes.count - position) bytes remain", at: offset)
    }

    /// An IEEE 754 half-precision float's value.
    static func halfToDouble(_ bits: UInt16) -> Double {
        let exponent = Int(bits >> 10 & 0x1F)
        let mantissa = Double(bits & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = mantissa * 0x1p-24
        case 31: magnitude = mantissa == 0 ? .infinity : .nan
        default: magnitude = Double(sign: .plus, exponent: exponent - 15, significand: 1 + mantissa / 1024)
        }
        return bits & 0x8000 != 0 ? -magnitude : magnitude
    }
}
