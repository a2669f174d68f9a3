/// A validated stream name: 1–128 characters from `[A-Za-z0-9_.-]`, and never `.` or `..`.
///
/// Stream names become directory names, so validation is what keeps a user's input from ever
/// naming a path outside the data directory.
public struct StreamName: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        try? self.init(validating: rawValue)
    }

    /// Validates `name`, throwing an `invalidArgument` error that says what is wrong with it.
    public init(validating name: String) throws(StreamQStorageError) {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count) else {
            throw .invalid("stream name must be 1 to 128 characters, got \(bytes.count)")
        }
        for byte in bytes {
            let allowed =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2E || byte == 0x2D
            guard allowed else {
                throw .invalid("stream name '\(name)' may only contain letters, digits, '_', '.' and '-'")
            }
        }
        guard name != ".", name != ".." else { throw .invalid("stream name '\(name)' is reserved") }
        self.rawValue = name
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
