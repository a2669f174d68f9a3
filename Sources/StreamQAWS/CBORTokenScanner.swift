#if canImport(Glibc)
import Glibc
#endif

/// The few steps the hand-written fast paths over AWS CBOR bodies share (PutRecords requests and
/// answers, GetRecords answers): heads, strings as spans of the input, and arrays or maps of
/// definite or indefinite length. Callers return nil on anything unexpected and leave it to
/// ``AWSCBOR``.
public struct CBORTokenScanner {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var index = 0

    /// `bytes` must have a base address (a non-empty or an allocated buffer).
    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Where the elements of an array or the entries of a map stand while they are read.
    public struct Items {
        /// Left to read of a definite length; nil for an indefinite one.
        fileprivate var remaining: Int?
        /// Whether every element was read (the count reached, or the break taken).
        public fileprivate(set) var isComplete = false
    }

    /// Whether the input is used up.
    public var isAtEnd: Bool { index == bytes.count }

    /// Takes `byte` if it is next.
    public mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The head of a definite-length item of type `major`: its argument.
    public mutating func argument(major: UInt8) -> UInt64? {
        guard index < bytes.count, bytes[index] >> 5 == major else { return nil }
        let info = bytes[index] & 0x1F
        let width: Int
        switch info {
        case 0..<24:
            index += 1
            return UInt64(info)
        case 24: width = 1
        case 25: width = 2
        case 26: width = 4
        case 27: width = 8
        default: return nil
        }
        guard width < bytes.count - index else { return nil }
        var value: UInt64 = 0
        for offset in 1...width { value = value << 8 | UInt64(bytes[index + offset]) }
        index += 1 + width
        return value
    }

    /// An unsigned integer (major type 0).
    public mutating func unsigned() -> UInt64? { argument(major: 0) }

    /// The bytes of a definite-length text string (major type 3), not checked as UTF-8.
    public mutating func textSpan() -> UnsafeRawBufferPointer? { span(major: 3) }

    /// The bytes of a definite-length byte string (major type 2).
    public mutating func byteSpan() -> UnsafeRawBufferPointer? { span(major: 2) }

    /// A definite-length text string of well-formed UTF-8.
    public mutating func textString() -> String? {
        guard let span = textSpan() else { return nil }
        return UTF8Text.string(span)
    }

    /// The bytes of a definite-length text string when they are well-formed UTF-8.
    public mutating func utf8TextSpan() -> UnsafeRawBufferPointer? {
        guard let span = textSpan(), UTF8Text.isValid(span) else { return nil }
        return span
    }

    /// A definite-length text string of ASCII characters from space to `~`; nil for any other.
    public mutating func asciiString() -> String? {
        guard let span = textSpan(), span.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: span, as: UTF8.self)
    }

    /// Whether `span` (a map key read with ``textSpan()``) is `text`.
    public static func span(_ span: UnsafeRawBufferPointer, equals text: StaticString) -> Bool {
        span.count == text.utf8CodeUnitCount && memcmp(span.baseAddress!, text.utf8Start, span.count) == 0
    }

    /// The head of an array (major type 4) or map (5), definite or indefinite.
    public mutating func items(major: UInt8) -> Items? {
        guard index < bytes.count else { return nil }
        if bytes[index] == major << 5 | 31 {
            index += 1
            return Items(remaining: nil)
        }
        guard let count = argument(major: major), count <= UInt64(bytes.count) else { return nil }
        return Items(remaining: Int(count))
    }

    /// Whether another element of `items` follows (false at its end, or at the end of the input).
    public mutating func next(in items: inout Items) -> Bool {
        if let remaining = items.remaining {
            guard remaining > 0 else {
                items.isComplete = true
                return false
            }
            items.remaining = remaining - 1
            return true
        }
        if consume(0xFF) {
            items.isComplete = true
            return false
        }
        return index < bytes.count
    }

    private mutating func span(major: UInt8) -> UnsafeRawBufferPointer? {
        guard let length = argument(major: major), length <= UInt64(bytes.count - index) else { return nil }
        let span = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + Int(length))])
        index += Int(length)
        return span
    }
}
