/// A recursive-descent JSON parser over raw bytes, producing ``AWSValue``s (see ``AWSJSON``).
struct JSONParser {
    /// Containers may nest this deep; deeper documents are refused rather than risking the stack.
    static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses the one value that must make up the whole input.
    mutating func parseDocument() throws(AWSCodecError) -> AWSValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw AWSCodecError("trailing bytes after the JSON value", at: position) }
        return value
    }

    private mutating func parseValue(depth: Int) throws(AWSCodecError) -> AWSValue {
        guard position < bytes.count else { throw AWSCodecError("unexpected end of JSON input", at: position) }
        switch bytes[position] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let byte: throw AWSCodecError("unexpected \(describe(byte)) where a JSON value should start", at: position)
        }
    }

    private mutating func parseObject(depth: Int) throws(AWSCodecError) -> AWSValue {
        guard depth <= Self.maximumDepth else {
            throw AWSCodecError("JSON nested deeper than \(Self.maximumDepth) levels", at: position)
        }
        position += 1
        var members = [String: AWSValue](minimumCapacity: 4)
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .map(members)
        }
        while true {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw unexpected("an object key (a string)")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw unexpected("':'") }
            position += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth)
            skipWhitespace()
            guard position < bytes.count else { throw unexpected("',' or '}'") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                return .map(members)
            default:
                throw unexpected("',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(AWSCodecError) -> AWSValue {
        guard depth <= Self.maximumDepth else {
            throw AWSCodecError("JSON nested deeper than \(Self.maximumDepth) levels", at: position)
        }
        position += 1
        var elements: [AWSValue] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .list(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw unexpected("',' or ']'") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                return .list(elements)
            default:
                throw unexpected("',' or ']'")
            }
        }
    }

    /// Parses a string starting at its opening quote. Strings without escapes (nearly all) are
    /// scanned once and copied once.
    private mutating func parseString() throws(AWSCodecError) -> String {
        let start = position + 1
        var index = start
        var ascii = true
        while index < bytes.count {
            // Skip eight plain ASCII bytes at a time: no quote, backslash, control or non-ASCII byte.
            if index + 8 <= bytes.count
                && !Self.mayNeedAttention(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            {
                index += 8
                continue
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                if ascii { return String(decoding: text, as: UTF8.self) }
                guard let string = UTF8Text.string(text) else {
                    throw AWSCodecError("invalid UTF-8 in a JSON string", at: start)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(from: start, firstEscape: index) }
            if byte < 0x20 { throw AWSCodecError("unescaped control character in a JSON string", at: index) }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw AWSCodecError("unterminated JSON string", at: position)
    }

    /// Whether any of eight string bytes is a quote, a backslash, a control character or non-ASCII
    /// (the classic "has a zero byte" bit trick, applied to the word XORed with each special byte).
    @inline(__always)
    private static func mayNeedAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let hasQuote = (quotes &- ones) & ~quotes
        let hasBackslash = (backslashes &- ones) & ~backslashes
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & high != 0
    }

    /// Parses the rest of a string that holds escapes, decoding into a buffer.
    private mutating func parseEscapedString(from start: Int, firstEscape: Int) throws(AWSCodecError) -> String {
        var decoded = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<firstEscape]))
        var index = firstEscape
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                guard let string = UTF8Text.string(decoded) else {
                    throw AWSCodecError("invalid UTF-8 in a JSON string", at: start)
                }
                return string
            }
            if byte < 0x20 { throw AWSCodecError("unescaped control character in a JSON string", at: index) }
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { break }
            switch bytes[index + 1] {
            case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                index = try decodeUnicodeEscape(at: index, into: &decoded)
                continue
            default:
                throw AWSCodecError("invalid escape sequence in a JSON string", at: index)
            }
            index += 2
        }
        throw AWSCodecError("unterminated JSON string", at: position)
    }

    /// Decodes `\uXXXX` at `index` (a surrogate pair when it is a high surrogate) as UTF-8 and
    /// returns the index after it.
    private func decodeUnicodeEscape(at index: Int, into decoded: inout [UInt8]) throws(AWSCodecError) -> Int {
        let unit = try hexQuad(at: index + 2)
        var scalarValue = UInt32(unit)
        var next = index + 6
        if (0xD800...0xDBFF).contains(unit) {
            guard next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u")
            else { throw AWSCodecError("unpaired UTF-16 high surrogate in a JSON string", at: index) }
            let low = try hexQuad(at: next + 2)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw AWSCodecError("unpaired UTF-16 high surrogate in a JSON string", at: index)
            }
            scalarValue = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00)
            next += 6
        } else if (0xDC00...0xDFFF).contains(unit) {
            throw AWSCodecError("unpaired UTF-16 low surrogate in a JSON string", at: index)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else {
            throw AWSCodecError("invalid \\u escape in a JSON string", at: index)
        }
        decoded.append(contentsOf: UTF8.encode(scalar)!)
        return next
    }

    private func hexQuad(at index: Int) throws(AWSCodecError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw AWSCodecError("truncated \\u escape in a JSON string", at: index) }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw AWSCodecError("invalid hex digit in a \\u escape", at: index + offset)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Parses a number per the JSON grammar: an `.integer` when it has no fraction or exponent and
    /// fits an Int64, else a `.double`.
    private mutating func parseNumber() throws(AWSCodecError) -> AWSValue {
        let start = position
        var index = position
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let integerStart = index
        var magnitude: UInt64 = 0
        var fitsMagnitude = true
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { fitsMagnitude = false }
            magnitude = sum
            index += 1
        }
        let integerDigits = index - integerStart
        guard integerDigits > 0 else { throw AWSCodecError("a JSON number needs digits", at: index) }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw AWSCodecError("leading zero in a JSON number", at: integerStart)
        }
        var integral = true
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            let fractionStart = index
            while index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            guard index > fractionStart else { throw AWSCodecError("a JSON number's fraction needs digits", at: index) }
        }
        if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            integral = false
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            let exponentStart = index
            while index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            guard index > exponentStart else { throw AWSCodecError("a JSON number's exponent needs digits", at: index) }
        }
        position = index
        if integral && fitsMagnitude {
            if !negative && magnitude <= UInt64(Int64.max) { return .integer(Int64(magnitude)) }
            if negative && magnitude <= UInt64(Int64.max) + 1 { return .integer(Int64(bitPattern: 0 &- magnitude)) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw AWSCodecError("JSON number out of range", at: start)
        }
        return .double(value)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(AWSCodecError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count,
            matches(literal.utf8Start, count: count)
        else { throw AWSCodecError("invalid JSON literal", at: position) }
        position += count
    }

    private func matches(_ literal: UnsafePointer<UInt8>, count: Int) -> Bool {
        for offset in 0..<count where bytes[position + offset] != literal[offset] { return false }
        return true
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private func unexpected(_ expected: String) -> AWSCodecError {
        guard position < bytes.count else {
            return AWSCodecError("unexpected end of JSON input, expected \(expected)", at: position)
        }
        return AWSCodecError("expected \(expected), found \(describe(bytes[position]))", at: position)
    }
}

/// A byte as an error message shows it: the character when printable ASCII, else hex.
func describe(_ byte: UInt8) -> String {
    if (0x21...0x7E).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
    let hex = String(byte, radix: 16)
    return "byte 0x\(byte < 0x10 ? "0" : "")\(hex)"
}
