#if canImport(Glibc)
import Glibc
#endif

/// The few steps the hand-written fast paths over AWS JSON bodies share (the server's PutRecords
/// request, the client's PutRecords answer): punctuation, whitespace and quoted spans over raw
/// bytes. Callers return nil on anything unexpected and leave it to ``AWSJSON``.
public struct JSONTokenScanner {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var index = 0

    /// `bytes` must have a base address (a non-empty or an allocated buffer).
    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Skips whitespace, then takes `byte` if it is next.
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Moves past `count` bytes the caller has read itself.
    public mutating func skip(_ count: Int) {
        index = min(bytes.count, index + count)
    }

    public mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Whether only whitespace is left.
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    /// The bytes between a string's quotes, escapes not undone (a `\"` ends the span early, so
    /// callers check what they take).
    public mutating func quotedSpan() -> UnsafeRawBufferPointer? {
        guard consume(UInt8(ascii: "\"")), index < bytes.count, let base = bytes.baseAddress,
            let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index)
        else { return nil }
        let end = base.distance(to: UnsafeRawPointer(quote))
        let span = UnsafeRawBufferPointer(rebasing: bytes[index..<end])
        index = end + 1
        return span
    }

    /// A string without escapes or control characters; nil for any other.
    public mutating func plainString() -> String? {
        guard let span = quotedSpan(), !span.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            return nil
        }
        return String(decoding: span, as: UTF8.self)
    }

    /// A non-negative integer of up to 18 digits.
    public mutating func smallInteger() -> Int? {
        skipWhitespace()
        let start = index
        var value = 0
        while index < bytes.count, index - start < 18, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        return index > start ? value : nil
    }
}
