/// A small, strict XML 1.0 reader for ``S3XMLElement``: the prolog (`<?xml …?>`, comments,
/// processing instructions, a DOCTYPE without an internal subset), elements with attributes (read
/// and skipped), text with the five predefined and numeric character references, CDATA sections
/// and comments. It checks that tags nest and match.
struct S3XMLScanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws(S3XMLError) -> S3XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // a UTF-8 byte-order mark
        try skipMisc()
        guard peek(UInt8(ascii: "<")) else { throw failure("expected the root element") }
        let root = try element()
        try skipMisc()
        guard index == bytes.count else { throw failure("content after the root element") }
        return root
    }

    /// Whitespace, comments, processing instructions and a DOCTYPE between top-level items.
    private mutating func skipMisc() throws(S3XMLError) {
        while true {
            skipWhitespace()
            if starts("<?") {
                try skip(past: "?>")
            } else if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<!DOCTYPE") {
                try skip(past: ">")
            } else {
                return
            }
        }
    }

    /// An element from its `<` to the end of its end tag (or `/>`).
    private mutating func element() throws(S3XMLError) -> S3XMLElement {
        index += 1  // <
        let qualified = try name()
        var element = S3XMLElement(name: Self.localName(qualified))
        try skipAttributes()
        if starts("/>") {
            index += 2
            return element
        }
        index += 1  // >
        var text: [UInt8] = []
        while true {
            guard index < bytes.count else { throw failure("<\(qualified)> is not closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") {
                if starts("</") {
                    index += 2
                    let closing = try name()
                    guard closing == qualified else {
                        throw failure("</\(closing)> closes <\(qualified)>")
                    }
                    skipWhitespace()
                    guard peek(UInt8(ascii: ">")) else { throw failure("expected '>' after </\(closing)") }
                    index += 1
                    element.text = String(decoding: text, as: UTF8.self)
                    return element
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text += bytes[start..<(index - 3)]
                } else if starts("<?") {
                    try skip(past: "?>")
                } else {
                    element.children.append(try self.element())
                }
            } else if byte == UInt8(ascii: "&") {
                try reference(into: &text)
            } else {
                text.append(byte)
                index += 1
            }
        }
    }

    /// Attributes up to `>` or `/>` (left there), their quoted values skipped whole.
    private mutating func skipAttributes() throws(S3XMLError) {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: ">"): return
            case UInt8(ascii: "/") where starts("/>"): return
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let quote = bytes[index]
                index += 1
                while index < bytes.count && bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw failure("unterminated attribute value") }
                index += 1
            case UInt8(ascii: "<"):
                throw failure("'<' inside a tag")
            default:
                index += 1
            }
        }
        throw failure("unterminated tag")
    }

    /// A name: everything up to whitespace, `>`, `/` or `=`.
    private mutating func name() throws(S3XMLError) -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if Self.isWhitespace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "<")
            {
                break
            }
            index += 1
        }
        guard index > start else { throw failure("expected a name") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;` or `&#xHH;`, appended as UTF-8.
    private mutating func reference(into text: inout [UInt8]) throws(S3XMLError) {
        let start = index
        guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
            throw failure("'&' without a reference")
        }
        let body = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
        index = semicolon + 1
        switch body {
        case "amp": text.append(UInt8(ascii: "&"))
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "quot": text.append(UInt8(ascii: "\""))
        case "apos": text.append(UInt8(ascii: "'"))
        default:
            let value: UInt32?
            if body.hasPrefix("#x") {
                value = UInt32(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("#") {
                value = UInt32(body.dropFirst(), radix: 10)
            } else {
                value = nil
            }
            guard let value, let scalar = Unicode.Scalar(value) else {
                index = start
                throw failure("unknown entity &\(body);")
            }
            text += Array(String(Character(scalar)).utf8)
        }
    }

    private mutating func skip(past terminator: String) throws(S3XMLError) {
        let pattern = Array(terminator.utf8)
        let start = index
        while index + pattern.count <= bytes.count {
            if bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                index += pattern.count
                return
            }
            index += 1
        }
        index = start
        throw failure("no '\(terminator)' to end this")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count && Self.isWhitespace(bytes[index]) { index += 1 }
    }

    private func starts(_ prefix: String) -> Bool { bytes[index...].starts(with: prefix.utf8) }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private func failure(_ reason: String) -> S3XMLError { S3XMLError(offset: index, reason: reason) }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// `s3:Key` → `Key`.
    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }
}
