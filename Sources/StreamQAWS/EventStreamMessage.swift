/// One message of an AWS event stream (`application/vnd.amazon.eventstream`), the framing of
/// SubscribeToShard's response body.
///
/// Wire form, integers big-endian: `total length: u32 | headers length: u32 | prelude CRC32 |
/// headers | payload | message CRC32`, the prelude CRC covering the first 8 bytes and the message
/// CRC everything before it. Each header is `name length: u8 | name | type: u8 | value`.
public struct EventStreamMessage: Sendable, Equatable {
    /// The headers in wire order.
    public var headers: [EventStreamHeader]
    public var payload: [UInt8]

    public init(headers: [EventStreamHeader], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// The value of the first header named `name`.
    public subscript(header name: String) -> EventStreamHeaderValue? {
        headers.first { $0.name == name }?.value
    }

    /// An event: `:message-type` `event`, `:event-type` `type`, `:content-type` `application/json`.
    public static func event(type: String, json payload: [UInt8]) -> EventStreamMessage {
        EventStreamMessage(
            headers: [
                EventStreamHeader(":message-type", .string("event")),
                EventStreamHeader(":event-type", .string(type)),
                EventStreamHeader(":content-type", .string("application/json")),
            ],
            payload: payload
        )
    }

    /// A modelled exception: `:message-type` `exception`, `:exception-type` `type`, `:content-type`
    /// `application/json` and the payload `{"message": message}`.
    public static func exception(type: String, message: String) -> EventStreamMessage {
        EventStreamMessage(
            headers: [
                EventStreamHeader(":message-type", .string("exception")),
                EventStreamHeader(":exception-type", .string(type)),
                EventStreamHeader(":content-type", .string("application/json")),
            ],
            payload: AWSJSON.encode(.map(["message": .string(message)]))
        )
    }

    /// The message in wire form.
    ///
    /// - Precondition: header names are 1 to 255 bytes, string and bytes values at most 65535 bytes.
    public func encoded() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    /// Appends the message in wire form to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 12))
        for header in headers { Self.append(header, to: &buffer) }
        let headersLength = buffer.count - start - 12
        buffer.append(contentsOf: payload)
        let totalLength = buffer.count - start + 4
        precondition(totalLength <= UInt32.max, "event stream message longer than 4 GiB")
        buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(totalLength).bigEndian, toByteOffset: start, as: UInt32.self)
            raw.storeBytes(of: UInt32(headersLength).bigEndian, toByteOffset: start + 4, as: UInt32.self)
            let preludeCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<(start + 8)]))
            raw.storeBytes(of: preludeCRC.bigEndian, toByteOffset: start + 8, as: UInt32.self)
        }
        let messageCRC = buffer.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        appendBigEndian(messageCRC, to: &buffer)
    }

    private static func append(_ header: EventStreamHeader, to buffer: inout [UInt8]) {
        let name = Array(header.name.utf8)
        precondition((1...255).contains(name.count), "event stream header name must be 1 to 255 bytes: \(header.name)")
        buffer.append(UInt8(name.count))
        buffer.append(contentsOf: name)
        switch header.value {
        case .bool(let flag): buffer.append(flag ? 0 : 1)
        case .byte(let value):
            buffer.append(2)
            buffer.append(UInt8(bitPattern: value))
        case .short(let value):
            buffer.append(3)
            appendBigEndian(value, to: &buffer)
        case .int(let value):
            buffer.append(4)
            appendBigEndian(value, to: &buffer)
        case .long(let value):
            buffer.append(5)
            appendBigEndian(value, to: &buffer)
        case .bytes(let bytes):
            buffer.append(6)
            appendVariableLength(bytes, of: header.name, to: &buffer)
        case .string(let text):
            buffer.append(7)
            appendVariableLength(Array(text.utf8), of: header.name, to: &buffer)
        case .timestamp(let milliseconds):
            buffer.append(8)
            appendBigEndian(milliseconds, to: &buffer)
        case .uuid(let value):
            buffer.append(9)
            appendBigEndian(value, to: &buffer)
        }
    }

    private static func appendVariableLength(_ bytes: [UInt8], of name: String, to buffer: inout [UInt8]) {
        precondition(bytes.count <= UInt16.max, "event stream header \(name) is longer than 65535 bytes")
        appendBigEndian(UInt16(bytes.count), to: &buffer)
        buffer.append(contentsOf: bytes)
    }
}

func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer, to buffer: inout [UInt8]) {
    var bigEndian = value.bigEndian
    withUnsafeBytes(of: &bigEndian) { buffer.append(contentsOf: $0) }
}
