import StreamQStorage
import Synchronization

/// AWS's per-shard limits, applied when `--shard-limits aws` asks for them so clients can test
/// their retry paths: writes 1 MiB/s and 1,000 records/s, reads 5 calls/s and 2 MiB/s per shard.
/// Each is a token bucket holding one second's allowance.
final class ThroughputLimits: Sendable {
    static let writeRecordsPerSecond = 1000.0
    static let writeBytesPerSecond = Double(1 << 20)
    static let readCallsPerSecond = 5.0
    static let readBytesPerSecond = Double(2 << 20)

    private struct Bucket {
        var level: Double
        var updated: ContinuousClock.Instant

        mutating func refill(rate: Double, now: ContinuousClock.Instant) {
            let elapsed = now - updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            level = min(rate, level + seconds * rate)
            updated = now
        }
    }

    private struct ShardBuckets {
        var writeRecords: Bucket
        var writeBytes: Bucket
        var readCalls: Bucket
        var readBytes: Bucket

        init(now: ContinuousClock.Instant) {
            writeRecords = Bucket(level: ThroughputLimits.writeRecordsPerSecond, updated: now)
            writeBytes = Bucket(level: ThroughputLimits.writeBytesPerSecond, updated: now)
            readCalls = Bucket(level: ThroughputLimits.readCallsPerSecond, updated: now)
            readBytes = Bucket(level: ThroughputLimits.readBytesPerSecond, updated: now)
        }
    }

    private struct Key: Hashable {
        var stream: StreamName
        var shard: ShardID
    }

    private let buckets = Mutex<[Key: ShardBuckets]>([:])

    /// Takes one write's allowance; false (nothing taken) when the shard is over its limit.
    func admitWrite(stream: StreamName, shard: ShardID, records: Int, bytes: Int) -> Bool {
        withBuckets(stream, shard) { buckets, now in
            buckets.writeRecords.refill(rate: Self.writeRecordsPerSecond, now: now)
            buckets.writeBytes.refill(rate: Self.writeBytesPerSecond, now: now)
            guard buckets.writeRecords.level >= Double(records), buckets.writeBytes.level >= Double(bytes) else {
                return false
            }
            buckets.writeRecords.level -= Double(records)
            buckets.writeBytes.level -= Double(bytes)
            return true
        }
    }

    /// Takes one read call; false when the shard had 5 this second or read its 2 MiB.
    func admitRead(stream: StreamName, shard: ShardID) -> Bool {
        withBuckets(stream, shard) { buckets, now in
            buckets.readCalls.refill(rate: Self.readCallsPerSecond, now: now)
            buckets.readBytes.refill(rate: Self.readBytesPerSecond, now: now)
            guard buckets.readCalls.level >= 1, buckets.readBytes.level > 0 else { return false }
            buckets.readCalls.level -= 1
            return true
        }
    }

    private func withBuckets(
        _ stream: StreamName,
        _ shard: ShardID,
        _ body: (inout ShardBuckets, ContinuousClock.Instant) -> Bool
    ) -> Bool {
        let now = ContinuousClock.now
        let key = Key(stream: stream, shard: shard)
        return buckets.withLock { all in
            var shardBuckets = all[key] ?? ShardBuckets(now: now)
            defer { all[key] = shardBuckets }
            return body(&shardBuckets, now)
        }
    }

    /// Charges the bytes a read returned (they may take the bucket below zero, as a 10 MiB
    /// response does on AWS: reads then wait until it refills).
    func recordRead(stream: StreamName, shard: ShardID, bytes: Int) {
        buckets.withLock { all in all[Key(stream: stream, shard: shard)]?.readBytes.level -= Double(bytes) }
    }
}
