/// A record's public sequence number: unique within its stream, written as a decimal string.
///
/// It packs the shard-local sequence (dense and increasing per shard, continuing from parents to
/// children across a reshard) above the shard number, so numbers compare in write order along a
/// key's lineage and a sequence number alone tells which shard holds the record.
public struct SequenceNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The shard-local sequence: 0, 1, 2, … within a shard, children starting after their parents.
    public let sequence: UInt64
    /// The shard holding the record.
    public let shard: ShardID

    public init(sequence: UInt64, shard: ShardID) {
        self.sequence = sequence
        self.shard = shard
    }

    /// Parses the decimal form produced by `description`.
    public init?(_ text: String) {
        guard let value = UInt128(text, radix: 10), value >> 96 == 0 else { return nil }
        self.sequence = UInt64(truncatingIfNeeded: value >> 32)
        self.shard = ShardID(UInt32(truncatingIfNeeded: value))
    }

    public var description: String { String(UInt128(sequence) << 32 | UInt128(shard.number)) }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.sequence, lhs.shard.number) < (rhs.sequence, rhs.shard.number)
    }
}
