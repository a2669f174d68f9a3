import Crypto

/// A position in the 128-bit hash-key space that shards divide between them.
public typealias HashKey = UInt128

extension HashKey {
    /// The Kinesis routing hash of a partition key: MD5 of its UTF-8 bytes, read as a big-endian
    /// 128-bit integer.
    public static func forPartitionKey(_ partitionKey: String) -> HashKey {
        var key = partitionKey
        let digest = key.withUTF8 { Insecure.MD5.hash(data: UnsafeRawBufferPointer($0)) }
        return digest.withUnsafeBytes { UInt128(bigEndian: $0.loadUnaligned(as: UInt128.self)) }
    }
}

/// An inclusive range of hash keys owned by one shard.
public struct HashKeyRange: Hashable, Sendable, CustomStringConvertible {
    public var start: HashKey
    public var end: HashKey

    public init(start: HashKey, end: HashKey) {
        precondition(start <= end, "hash key range start must not exceed its end")
        self.start = start
        self.end = end
    }

    public func contains(_ key: HashKey) -> Bool { key >= start && key <= end }

    /// The whole key space split into `count` contiguous ranges as Kinesis lays out a new stream:
    /// range i starts at i·⌊2^128/count⌋ and the last one ends at 2^128−1.
    public static func evenSplit(into count: Int) -> [HashKeyRange] {
        precondition(count > 0)
        guard count > 1 else { return [HashKeyRange(start: 0, end: .max)] }
        let divisor = UInt128(count)
        // ⌊2^128/count⌋ from 2^128−1 = UInt128.max, which is one short of 2^128.
        let step = UInt128.max / divisor + (UInt128.max % divisor == divisor - 1 ? 1 : 0)
        return (0..<count).map { index in
            let start = step * UInt128(index)
            let end = index == count - 1 ? UInt128.max : step * UInt128(index + 1) - 1
            return HashKeyRange(start: start, end: end)
        }
    }

    public var description: String { "\(start)...\(end)" }
}
