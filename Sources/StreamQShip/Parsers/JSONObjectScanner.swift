/// Checks that a line is one JSON object and splits it into top-level fields without decoding the
/// values: each value's text is copied as it is, so numbers keep their exact digits.
struct JSONObjectScanner {
    private let bytes: ArraySlice<UInt8>
    private var index: Int
    private static let maxDepth = 128

    private init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    static func fields(of line: ArraySlice<UInt8>) throws(LineParseError) -> [ParsedField] {
        var scanner = JSONObjectScanner(line)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.error("expected a JSON object") }
        scanner.index += 1
        var fields: [ParsedField] = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let nameStart = scanner.index
                try scanner.string()
                let name = Array(line[nameStart..<scanner.index])
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: ":") else { throw scanner.error("expected ':'") }
                scanner.index += 1
                scanner.skipWhitespace()
                let valueStart = scanner.index
                try scanner.value(depth: 1)
                fields.append(ParsedField(quotedName: name, value: Array(line[valueStart..<scanner.index])))
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") {
                    scanner.index += 1
                    continue
                }
                guard scanner.peek == UInt8(ascii: "}") else { throw scanner.error("expected ',' or '}'") }
                scanner.index += 1
                break
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == line.endIndex else { throw scanner.error("unexpected text after the object") }
        return fields
    }

    private var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    private func error(_ message: String) -> LineParseError {
        LineParseError(message, at: index - bytes.startIndex)
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func value(depth: Int) throws(LineParseError) {
        guard depth <= Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth)") }
        switch peek {
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "{"): try container(close: UInt8(ascii: "}"), keyed: true, depth: depth)
        case UInt8(ascii: "["): try container(close: UInt8(ascii: "]"), keyed: false, depth: depth)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte): try number()
        default: throw error("expected a JSON value")
        }
    }

    private mutating func container(close: UInt8, keyed: Bool, depth: Int) throws(LineParseError) {
        index += 1
        skipWhitespace()
        if peek == close {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            if keyed {
                try string()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                skipWhitespace()
            }
            try value(depth: depth + 1)
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard peek == close else { throw error("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
            index += 1
            return
        }
    }

    private mutating func string() throws(LineParseError) {
        guard peek == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        while let byte = peek {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { throw error("unterminated string") }
                index += 1
                switch escaped {
                case UInt8(ascii: "u"):
                    for _ in 0..<4 {
                        guard let hex = peek, hex.isHexDigit else { throw error("bad \\u escape") }
                        index += 1
                    }
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                default: throw error("bad escape")
                }
            case 0..<0x20: throw error("control character in a string")
            default: break
            }
        }
        throw error("unterminated string")
    }

    private mutating func number() throws(LineParseError) {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, first.isDigit else { throw error("bad number") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard peek?.isDigit == true else { throw error("bad number") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard peek?.isDigit == true else { throw error("bad number") }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while peek?.isDigit == true { index += 1 }
    }

    private mutating func literal(_ word: StaticString) throws(LineParseError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes[index...].starts(with: expected) else { throw error("bad literal") }
        index += expected.count
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (0x30...0x39).contains(self) }
    fileprivate var isHexDigit: Bool { isDigit || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
