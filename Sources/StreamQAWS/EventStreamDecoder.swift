/// Splits an event stream into messages as its bytes arrive, checking both CRCs, the lengths and
/// every header.
///
/// Feed bytes with ``append(_:)`` and take messages with ``next()`` until it returns nil. An error
/// is final: the stream has lost its framing, and every later ``next()`` throws it again.
public struct EventStreamDecoder: Sendable {
    /// The default limits, botocore's: 128 KiB of headers, 24 MiB per message.
    public static let defaultMaximumHeadersLength = 128 * 1024
    public static let defaultMaximumMessageLength = 24 * 1024 * 1024

    private let maximumHeadersLength: Int
    private let maximumMessageLength: Int
    private var buffer: [UInt8] = []
    /// Where the next message starts in `buffer`.
    private var start = 0
    /// The offset in the stream of `buffer[0]`, for error messages.
    private var bufferOffset = 0
    private var failure: EventStreamError?

    public init(
        maximumHeadersLength: Int = defaultMaximumHeadersLength,
        maximumMessageLength: Int = defaultMaximumMessageLength
    ) {
        self.maximumHeadersLength = maximumHeadersLength
        self.maximumMessageLength = maximumMessageLength
    }

    /// Bytes received but not yet returned as messages.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds the next bytes of the stream.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            bufferOffset += start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil until more bytes arrive.
    public mutating func next() throws(EventStreamError) -> EventStreamMessage? {
        if let failure { throw failure }
        do {
            let message = try buffer.withUnsafeBytes { raw in
                Result { () throws(EventStreamError) in
                    try decodeMessage(UnsafeRawBufferPointer(rebasing: raw[start...]))
                }
            }.get()
            guard let (message, length) = message else { return nil }
            start += length
            return message
        } catch {
            failure = error
            throw error
        }
    }

    /// The message at the start of `bytes` and its length, or nil when it is not complete yet.
    private func decodeMessage(_ bytes: UnsafeRawBufferPointer) throws(EventStreamError) -> (EventStreamMessage, Int)? {
        let offset = bufferOffset + start
        guard bytes.count >= 12 else { return nil }
        let totalLength = Int(bytes.loadBigEndianUInt32(at: 0))
        let headersLength = Int(bytes.loadBigEndianUInt32(at: 4))
        let preludeCRC = bytes.loadBigEndianUInt32(at: 8)
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<8])) == preludeCRC else {
            throw EventStreamError("prelude CRC mismatch", at: offset)
        }
        guard totalLength >= 16 else {
            throw EventStreamError("message length \(totalLength) is below the minimum 16", at: offset)
        }
        guard totalLength <= maximumMessageLength else {
            throw EventStreamError(
                "message length \(totalLength) exceeds the limit \(maximumMessageLength)",
                at: offset
            )
        }
        guard headersLength <= maximumHeadersLength else {
            throw EventStreamError(
                "headers length \(headersLength) exceeds the limit \(maximumHeadersLength)",
                at: offset
            )
        }
        guard headersLength <= totalLength - 16 else {
            throw EventStreamError(
                "headers length \(headersLength) does not fit a \(totalLength)-byte message",
                at: offset
            )
        }
        guard bytes.count >= totalLength else { return nil }
        let messageCRC = bytes.loadBigEndianUInt32(at: totalLength - 4)
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(totalLength - 4)])) == messageCRC else {
            throw EventStreamError("message CRC mismatch", at: offset)
        }
        let headers = try Self.decodeHeaders(
            UnsafeRawBufferPointer(rebasing: bytes[12..<(12 + headersLength)]),
            at: offset + 12
        )
        let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(12 + headersLength)..<(totalLength - 4)]))
        return (EventStreamMessage(headers: headers, payload: payload), totalLength)
    }

    private static func decodeHeaders(
        _ bytes: UnsafeRawBufferPointer,
        at offset: Int
    ) throws(EventStreamError) -> [EventStreamHeader] {
        var headers: [EventStreamHeader] = []
        var position = 0
        func take(_ count: Int) throws(EventStreamError) -> UnsafeRawBufferPointer {
            guard count <= bytes.count - position else {
                throw EventStreamError("truncated header", at: offset + position)
            }
            defer { position += count }
            return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        }
        while position < bytes.count {
            let headerStart = offset + position
            let nameLength = Int(try take(1)[0])
            guard nameLength > 0 else { throw EventStreamError("empty header name", at: headerStart) }
            guard let name = UTF8Text.string(try take(nameLength)) else {
                throw EventStreamError("header name is not UTF-8", at: headerStart)
            }
            let type = try take(1)[0]
            let value: EventStreamHeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2: value = .byte(Int8(bitPattern: try take(1)[0]))
            case 3: value = .short(Int16(bitPattern: UInt16(try take(2).loadBigEndian())))
            case 4: value = .int(Int32(bitPattern: UInt32(try take(4).loadBigEndian())))
            case 5: value = .long(Int64(bitPattern: UInt64(try take(8).loadBigEndian())))
            case 6: value = .bytes(Array(try take(Int(try take(2).loadBigEndian()))))
            case 7:
                guard let text = UTF8Text.string(try take(Int(try take(2).loadBigEndian()))) else {
                    throw EventStreamError("header \(name) is not UTF-8", at: headerStart)
                }
                value = .string(text)
            case 8: value = .timestamp(milliseconds: Int64(bitPattern: UInt64(try take(8).loadBigEndian())))
            case 9: value = .uuid(try take(16).loadBigEndian())
            default: throw EventStreamError("header \(name) has unknown type \(type)", at: headerStart)
            }
            headers.append(EventStreamHeader(name, value))
        }
        return headers
    }
}

/// An event stream that cannot be split into valid messages.
public struct EventStreamError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// The offset in the stream of the message (or header) where the problem was found.
    public var offset: Int

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "invalid event stream: \(message) at byte \(offset)" }
}

extension UnsafeRawBufferPointer {
    fileprivate func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// All the bytes as one big-endian integer.
    fileprivate func loadBigEndian() -> UInt128 {
        var value: UInt128 = 0
        for byte in self { value = value << 8 | UInt128(byte) }
        return value
    }
}
