/// One header of an event stream message: a name and a typed value.
public struct EventStreamHeader: Sendable, Equatable {
    /// The header name, 1 to 255 bytes of UTF-8, e.g. `:event-type`.
    public var name: String
    public var value: EventStreamHeaderValue

    public init(_ name: String, _ value: EventStreamHeaderValue) {
        self.name = name
        self.value = value
    }
}

/// The value of an event stream header; the wire type code is in each case's comment.
public enum EventStreamHeaderValue: Sendable, Equatable {
    /// 0 (true) or 1 (false), no value bytes.
    case bool(Bool)
    /// 2, one byte.
    case byte(Int8)
    /// 3, two bytes.
    case short(Int16)
    /// 4, four bytes.
    case int(Int32)
    /// 5, eight bytes.
    case long(Int64)
    /// 6, a 16-bit length and at most 65535 bytes.
    case bytes([UInt8])
    /// 7, a 16-bit length and at most 65535 bytes of UTF-8.
    case string(String)
    /// 8, eight bytes of epoch milliseconds.
    case timestamp(milliseconds: Int64)
    /// 9, sixteen bytes.
    case uuid(UInt128)

    /// The text of a `.string`.
    public var stringValue: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }
}
