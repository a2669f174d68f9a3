/// The few pieces of the protobuf wire format that the KPL aggregate needs: varints, tags and
/// length-delimited fields.
enum ProtobufWire {
    /// Wire type 0, a base-128 varint.
    static let varint: UInt8 = 0
    /// Wire type 1, eight bytes.
    static let fixed64: UInt8 = 1
    /// Wire type 2, a varint length and that many bytes.
    static let lengthDelimited: UInt8 = 2
    /// Wire type 5, four bytes.
    static let fixed32: UInt8 = 5

    static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.append(UInt8(rest))
    }

    static func appendTag(field: UInt64, wireType: UInt8, to buffer: inout [UInt8]) {
        appendVarint(field << 3 | UInt64(wireType), to: &buffer)
    }

    static func appendBytes(field: UInt64, _ bytes: some Collection<UInt8>, to buffer: inout [UInt8]) {
        appendTag(field: field, wireType: lengthDelimited, to: &buffer)
        appendVarint(UInt64(bytes.count), to: &buffer)
        buffer.append(contentsOf: bytes)
    }

    static func appendVarintField(field: UInt64, _ value: UInt64, to buffer: inout [UInt8]) {
        appendTag(field: field, wireType: varint, to: &buffer)
        appendVarint(value, to: &buffer)
    }

    /// Reads fields from a message's bytes; every read returns nil on malformed input.
    struct Reader {
        private let bytes: ArraySlice<UInt8>
        private var position: Int

        init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        var isAtEnd: Bool { position == bytes.endIndex }

        /// A varint of at most 10 bytes.
        mutating func readVarint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: UInt64(0), to: 70, by: 7) {
                guard position < bytes.endIndex else { return nil }
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
            }
            return nil
        }

        /// The next field's number and wire type.
        mutating func readTag() -> (field: UInt64, wireType: UInt8)? {
            guard let key = readVarint(), key >> 3 > 0 else { return nil }
            return (key >> 3, UInt8(key & 7))
        }

        /// A length-delimited field's bytes.
        mutating func readLengthDelimited() -> ArraySlice<UInt8>? {
            guard let length = readVarint(), length <= UInt64(bytes.endIndex - position) else { return nil }
            let end = position + Int(length)
            defer { position = end }
            return bytes[position..<end]
        }

        /// Skips a field of `wireType` that the reader does not use; false for groups and unknown types.
        mutating func skip(wireType: UInt8) -> Bool {
            switch wireType {
            case ProtobufWire.varint: return readVarint() != nil
            case ProtobufWire.fixed64: return advance(8)
            case ProtobufWire.lengthDelimited: return readLengthDelimited() != nil
            case ProtobufWire.fixed32: return advance(4)
            default: return false
            }
        }

        private mutating func advance(_ count: Int) -> Bool {
            guard bytes.endIndex - position >= count else { return false }
            position += count
            return true
        }
    }
}
