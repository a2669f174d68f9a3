/// A shard's identity within its stream: a number never reused, shown Kinesis-style as
/// `shardId-000000000000`.
public struct ShardID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let number: UInt32

    public init(_ number: UInt32) { self.number = number }

    /// Parses `shardId-000000000003`, `shard-3` or a bare `3`.
    public init?(parsing text: String) {
        var digits = Substring(text)
        for prefix in ["shardId-", "shard-"] where digits.hasPrefix(prefix) {
            digits = digits.dropFirst(prefix.count)
            break
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = UInt32(digits) else { return nil }
        self.number = number
    }

    public var description: String {
        let digits = String(number)
        return "shardId-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.number < rhs.number }

    public init(from decoder: any Decoder) throws {
        self.number = try decoder.singleValueContainer().decode(UInt32.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(number)
    }
}
