/// Little-endian fixed-width integers and LEB128 varints, the two encodings of every on-disk structure.
extension Array where Element == UInt8 {
    @inlinable mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inlinable mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    @inlinable mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Writes `value` as a varint at `offset`; returns the offset just past it.
    @inlinable @inline(__always) func storeVarint(_ value: UInt64, at offset: Int) -> Int {
        var value = value
        var offset = offset
        while value >= 0x80 {
            self[offset] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            offset += 1
        }
        self[offset] = UInt8(value)
        return offset + 1
    }
}

extension UnsafeRawBufferPointer {
    @inlinable func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// The number of bytes `value` takes as a varint.
@inlinable func varintLength(_ value: UInt64) -> Int {
    // Most lengths written take one or two bytes: told apart by comparing, before counting bits.
    if value < 1 << 7 { return 1 }
    if value < 1 << 14 { return 2 }
    return (64 - value.leadingZeroBitCount + 6) / 7
}

/// Reads varints and byte runs from a buffer, reporting a malformed encoding instead of trapping.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    var remaining: Int { buffer.count - offset }

    @inline(__always) mutating func readVarint() -> UInt64? {
        if offset < buffer.count, buffer[offset] < 0x80 {  // one-byte fast path: most fields
            defer { offset += 1 }
            return UInt64(buffer[offset])
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < buffer.count, shift < 64 {
            let byte = buffer[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    mutating func readByte() -> UInt8? {
        guard offset < buffer.count else { return nil }
        defer { offset += 1 }
        return buffer[offset]
    }

    /// Returns the next `count` bytes as a slice of the underlying buffer.
    mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }
}
