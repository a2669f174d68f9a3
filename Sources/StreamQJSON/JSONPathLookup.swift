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
    /// The offset just past the JSON value (any kind, nested ones whole) that starts at `offset`
    /// in `json`, checked as ``forEachTopLevelField(in:_:)`` checks values.
    @inlinable
    public static func endOfValue(in json: UnsafeRawBufferPointer, at offset: Int) throws(SyntaxError) -> Int {
        var scanner = Scanner(bytes: json)
        scanner.offset = offset
        try scanner.skipValue()
        return scanner.offset
    }

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
    /// are decoded strictly). The closing quote is found eight bytes at a time.
    @inlinable @inline(__always)
    mutating func skipString() throws(JSONFieldLookup.SyntaxError) -> Bool {
        try expect(UInt8(ascii: "\""))
        guard let base = bytes.baseAddress else { throw fail("unterminated string") }
        let count = bytes.count
        var index = offset
        var escapes = false
        while true {
            // The next quote or backslash.
            var found = false
            while index + 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let mask = JSONBytes.quotesAndBackslashes(word)
                if mask != 0 {
                    index += mask.trailingZeroBitCount >> 3
                    found = true
                    break
                }
                index += 8
            }
            if !found {
                while index < count {
                    let byte = base.load(fromByteOffset: index, as: UInt8.self)
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
                    index += 1
                }
            }
            guard index < count else { break }
            if base.load(fromByteOffset: index, as: UInt8.self) == UInt8(ascii: "\"") {
                offset = index + 1
                return escapes
            }
            escapes = true
            index += 2  // a backslash and the byte it escapes
        }
        offset = count
        throw fail("unterminated string")
    }
}
