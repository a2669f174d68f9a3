#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Finds one top-level field of a JSON object in raw bytes without parsing the rest of the document
/// into values: the scanner skips over other fields' values by structure alone.
public enum JSONFieldLookup {
    /// A top-level field's value, still as JSON text.
    public enum Value: Equatable, Sendable {
        case string(String)
        /// A number, `true`, `false`, an object or an array, as its JSON text.
        case literal(String)
        case null

        /// The value as a partition key would use it: strings unquoted, anything else as its JSON text.
        public var text: String? {
            switch self {
            case .string(let value): value
            case .literal(let text): text
            case .null: nil
            }
        }
    }

    /// What is wrong with a line that is not a JSON object.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String

        public init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Looks up `field` in the top-level object of `json`.
    /// - Returns: the field's value, or nil when the object has no such field.
    /// - Throws: `SyntaxError` when `json` is not a well-formed JSON object (up to the field found).
    public static func value(of field: String, in json: UnsafeRawBufferPointer) throws(SyntaxError) -> Value? {
        var field = field
        let result = field.withUTF8 { wanted in
            Result { () throws(SyntaxError) in try value(ofField: UnsafeRawBufferPointer(wanted), in: json) }
        }
        return try result.get()
    }

    /// ``value(of:in:)`` with the field name given as its UTF-8 bytes: for a caller looking up one
    /// field in many documents, which then encodes the name once.
    public static func value(
        ofField wanted: UnsafeRawBufferPointer,
        in json: UnsafeRawBufferPointer
    ) throws(SyntaxError) -> Value? {
        if case .decided(let value) = CompactFieldLookup.value(ofField: wanted, in: json) { return value }
        return try scannedValue(ofField: wanted, in: json)
    }

    /// ``value(ofField:in:)`` found by the scanner alone, for any JSON text.
    static func scannedValue(
        ofField wanted: UnsafeRawBufferPointer,
        in json: UnsafeRawBufferPointer
    ) throws(SyntaxError) -> Value? {
        var scanner = Scanner(bytes: json)
        scanner.skipWhitespace()
        try scanner.expect(UInt8(ascii: "{"))
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") { return nil }
        while true {
            scanner.skipWhitespace()
            // Keys are compared in place; only a key with escapes is decoded first.
            let keyStart = scanner.offset + 1
            let escaped = try scanner.skipString()
            let key = UnsafeRawBufferPointer(rebasing: json[keyStart..<(scanner.offset - 1)])
            let matches =
                try escaped
                ? decodeString(key).elementsEqual(wanted)
                : wanted.count == key.count && Self.sameBytes(wanted, key)
            scanner.skipWhitespace()
            try scanner.expect(UInt8(ascii: ":"))
            scanner.skipWhitespace()
            if matches { return try scanner.readValue() }
            // The common values are skipped here, without a call.
            switch scanner.peek {
            case UInt8(ascii: "\""): _ = try scanner.skipString()
            case let byte? where byte &- UInt8(ascii: "0") < 10:
                scanner.offset = JSONBytes.endOfNumber(in: json.baseAddress!, count: json.count, from: scanner.offset)
            default: try scanner.skipValue()
            }
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") {
                scanner.offset += 1
                continue
            }
            try scanner.expect(UInt8(ascii: "}"))
            return nil
        }
    }

    /// Whether `a` and `b` (of one length) hold the same bytes: keys are short, and a loop over them
    /// costs less than a call to memcmp.
    @inline(__always)
    static func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count <= 16 else { return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        for index in 0..<a.count where a[index] != b[index] { return false }
        return true
    }

    /// Decodes the raw bytes between a string's quotes (escapes resolved).
    public static func decodeString(_ raw: UnsafeRawBufferPointer) throws(SyntaxError) -> [UInt8] {
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.append(contentsOf: raw)
        quoted.append(UInt8(ascii: "\""))
        let result = quoted.withUnsafeBytes { bytes in
            Result { () throws(SyntaxError) -> [UInt8] in
                var scanner = Scanner(bytes: bytes)
                return try scanner.readString()
            }
        }
        return try result.get()
    }

    public static func value(of field: String, in json: [UInt8]) throws(SyntaxError) -> Value? {
        let result = json.withUnsafeBytes { bytes in
            Result { () throws(SyntaxError) -> Value? in try value(of: field, in: bytes) }
        }
        return try result.get()
    }
}

/// A cursor over JSON bytes that reads strings and skips values by their structure.
@usableFromInline
struct Scanner {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset = 0

    @usableFromInline
    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable
    var peek: UInt8? {
        @inline(__always) get { offset < bytes.count ? bytes.load(fromByteOffset: offset, as: UInt8.self) : nil }
    }

    @inlinable @inline(__always)
    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    @inlinable @inline(__always)
    mutating func expect(_ byte: UInt8) throws(JSONFieldLookup.SyntaxError) {
        guard peek == byte else { throw fail("expected '\(Character(UnicodeScalar(byte)))'") }
        offset += 1
    }

    @usableFromInline
    func fail(_ reason: String) -> JSONFieldLookup.SyntaxError {
        JSONFieldLookup.SyntaxError(offset: offset, reason: peek == nil ? reason + " but the text ended" : reason)
    }

    /// Reads a string and returns its decoded UTF-8 bytes.
    mutating func readString() throws(JSONFieldLookup.SyntaxError) -> [UInt8] {
        try expect(UInt8(ascii: "\""))
        var result: [UInt8] = []
        while let byte = peek {
            offset += 1
            switch byte {
            case UInt8(ascii: "\""): return result
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { throw fail("unfinished escape") }
                offset += 1
                switch escaped {
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "u"): try readUnicodeEscape(into: &result)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escaped)
                default: throw fail("invalid escape")
                }
            case 0..<0x20: throw fail("control character in string")
            default: result.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func readHex4() throws(JSONFieldLookup.SyntaxError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    private mutating func readUnicodeEscape(into result: inout [UInt8]) throws(JSONFieldLookup.SyntaxError) {
        var code = try readHex4()
        if (0xD800..<0xDC00).contains(code), offset + 6 <= bytes.count, bytes[offset] == UInt8(ascii: "\\"),
            bytes[offset + 1] == UInt8(ascii: "u")
        {
            offset += 2
            let low = try readHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        let scalar = UnicodeScalar(code) ?? "\u{FFFD}"
        result.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    mutating func readValue() throws(JSONFieldLookup.SyntaxError) -> JSONFieldLookup.Value {
        if peek == UInt8(ascii: "\"") {
            let start = offset
            // Most strings have no escapes: take their bytes as they are (short ones need no allocation).
            if try !skipString() {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(offset - 1)])
                if !raw.contains(where: { $0 < 0x20 }) { return .string(String(decoding: raw, as: UTF8.self)) }
            }
            offset = start
            return .string(String(decoding: try readString(), as: UTF8.self))
        }
        let start = offset
        try skipValue()
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        return text == "null" ? .null : .literal(text)
    }

    @inlinable
    mutating func skipValue() throws(JSONFieldLookup.SyntaxError) {
        guard let byte = peek else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            offset += 1
            skipWhitespace()
            if peek == close {
                offset += 1
                return
            }
            while true {
                skipWhitespace()
                if close == UInt8(ascii: "}") {
                    _ = try skipString()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"))
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                try expect(close)
                return
            }
        case UInt8(ascii: "t"): try skipWord("true")
        case UInt8(ascii: "f"): try skipWord("false")
        case UInt8(ascii: "n"): try skipWord("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = offset
            offset = JSONBytes.endOfNumber(in: bytes.baseAddress!, count: bytes.count, from: offset)
            if offset == start { throw fail("invalid number") }
        default: throw fail("unexpected character")
        }
    }

    @inlinable
    mutating func skipWord(_ word: StaticString) throws(JSONFieldLookup.SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw fail("expected \(word)") }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] { throw fail("expected \(word)") }
        offset += count
    }
}
