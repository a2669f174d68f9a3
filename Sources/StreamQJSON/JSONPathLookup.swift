#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// One step of a path into a JSON document: an object key or an array index.
public enum JSONPathStep: Sendable, Hashable {
    case key(String)
    case index(Int)
}

extension JSONFieldLookup {
    /// The value at `path` (keys into objects, indexes into arrays) of the JSON document `json`,
    /// skipping everything else by structure. Nil when any step is missing or of the wrong kind.
    /// - Throws: `SyntaxError` when the document is malformed up to the value found.
    public static func value(at path: [JSONPathStep], in json: UnsafeRawBufferPointer) throws(SyntaxError) -> Value? {
        var scanner = Scanner(bytes: json)
        scanner.skipWhitespace()
        for step in path {
            switch step {
            case .key(let key):
                guard scanner.peek == UInt8(ascii: "{") else {
                    try scanner.skipValue()
                    return nil
                }
                guard try scanner.enterObject(findingKey: Array(key.utf8)) else { return nil }
            case .index(let index):
                guard scanner.peek == UInt8(ascii: "[") else {
                    try scanner.skipValue()
                    return nil
                }
                guard try scanner.enterArray(findingIndex: index) else { return nil }
            }
            scanner.skipWhitespace()
        }
        return try scanner.readValue()
    }
}

extension Scanner {
    /// Positioned on `{`: moves to the value of `key` and returns true, or past the object and
    /// returns false.
    mutating func enterObject(findingKey wanted: [UInt8]) throws(JSONFieldLookup.SyntaxError) -> Bool {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            offset += 1
            return false
        }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            if key == wanted { return true }
            try skipValue()
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            return false
        }
    }

    /// Positioned on `[`: moves to element `index` and returns true, or past the array and returns false.
    mutating func enterArray(findingIndex wanted: Int) throws(JSONFieldLookup.SyntaxError) -> Bool {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            offset += 1
            return false
        }
        var index = 0
        while true {
            skipWhitespace()
            if index == wanted { return true }
            try skipValue()
            skipWhitespace()
            index += 1
            if peek == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            try expect(UInt8(ascii: "]"))
            return false
        }
    }
}

extension JSONFieldLookup {
    /// Calls `body` with each top-level key of the object `json` (its raw bytes between the quotes,
    /// and whether they contain escapes) and its value's raw bytes, in document order, until `body`
    /// returns true. Keys are not decoded or copied: the caller compares bytes.
    /// - Throws: `SyntaxError` when `json` is not a well-formed object (up to where it stopped).
    @inlinable
    public static func forEachTopLevelField(
        in json: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ keyHasEscapes: Bool, _ value: UnsafeRawBufferPointer)
            throws(SyntaxError) -> Bool
    ) throws(SyntaxError) {
        var scanner = Scanner(bytes: json)
        scanner.skipWhitespace()
        try scanner.expect(UInt8(ascii: "{"))
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") { return }
        while true {
            scanner.skipWhitespace()
            let keyStart = scanner.offset + 1
            let hasEscapes = try scanner.skipString()
            let key = UnsafeRawBufferPointer(rebasing: json[keyStart..<(scanner.offset - 1)])
            scanner.skipWhitespace()
            try scanner.expect(UInt8(ascii: ":"))
            scanner.skipWhitespace()
            let start = scanner.offset
            try scanner.skipValue()
            if try body(key, hasEscapes, UnsafeRawBufferPointer(rebasing: json[start..<scanner.offset])) { return }
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") {
                scanner.offset += 1
                continue
            }
            try scanner.expect(UInt8(ascii: "}"))
            return
        }
    }
}

extension Scanner {
    /// Moves past a string without decoding it; returns whether it contained escapes.
    /// Control characters inside a skipped string are not checked (values that are extracted
    /// are decoded strictly); finding the closing quote uses `memchr`, which is what makes
    /// skipping long values cheap.
    @inlinable @inline(__always)
    mutating func skipString() throws(JSONFieldLookup.SyntaxError) -> Bool {
        try expect(UInt8(ascii: "\""))
        guard let base = bytes.baseAddress else { throw fail("unterminated string") }
        let count = bytes.count
        var index = offset
        // Keys and short values end within a few bytes: look at those directly before calling memchr.
        let direct = min(count, index + 16)
        while index < direct {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == UInt8(ascii: "\"") {
                offset = index + 1
                return false
            }
            if byte == UInt8(ascii: "\\") { break }
            index += 1
        }
        var escapes = false
        while index < count {
            guard let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), count - index) else { break }
            let quoteIndex = UnsafeRawPointer(quote) - base
            guard memchr(base + index, Int32(UInt8(ascii: "\\")), quoteIndex - index) != nil else {
                offset = quoteIndex + 1
                return escapes
            }
            // An escape before the quote: walk this stretch byte by byte.
            escapes = true
            while index < quoteIndex {
                if base.load(fromByteOffset: index, as: UInt8.self) == UInt8(ascii: "\\") {
                    index += 2
                } else {
                    index += 1
                }
            }
            if index == quoteIndex {
                offset = quoteIndex + 1
                return escapes
            }
            index = quoteIndex + 1  // the quote was escaped: keep looking
        }
        offset = count
        throw fail("unterminated string")
    }
}
