/// An element of one of S3's small XML answers (ListObjectsV2, InitiateMultipartUpload,
/// CompleteMultipartUpload, DeleteObjects, errors): its name, child elements and text.
///
/// Namespace prefixes are dropped from names (S3 declares its namespace as the default one) and
/// attributes are not kept: none of these answers carries data in them.
public struct S3XMLElement: Sendable, Equatable {
    public var name: String
    public var children: [S3XMLElement]
    /// The character data directly inside the element, entities and CDATA decoded.
    public var text: String

    public init(name: String, children: [S3XMLElement] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    /// The first child named `name`.
    public func child(_ name: String) -> S3XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`, in document order.
    public func children(_ name: String) -> [S3XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    public func text(of name: String) -> String? { child(name)?.text }

    /// Parses a whole document into its root element.
    /// - Throws: ``S3XMLError`` at the first byte that does not fit well-formed XML (an unclosed or
    ///   mismatched tag, an unknown entity, text outside the root).
    public static func parse(_ bytes: [UInt8]) throws(S3XMLError) -> S3XMLElement {
        var scanner = S3XMLScanner(bytes: bytes)
        return try scanner.document()
    }
}

/// XML that cannot be parsed: where and why.
public struct S3XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset of the problem.
    public var offset: Int
    public var reason: String

    public var description: String { "malformed XML at byte \(offset): \(reason)" }
}

extension S3XMLElement {
    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, for the character data of request bodies.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
