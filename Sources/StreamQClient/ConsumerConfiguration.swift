import StreamQStorage

/// How a ``StreamQConsumer`` reads. Every field but the stream has a default.
public struct StreamQConsumerConfiguration: Sendable {
    public var stream: StreamName
    /// Where shards without a checkpoint start: `.trimHorizon` (default), `.latest` or
    /// `.atTimestamp`. (Sequence-number positions name one shard; use `StreamStore.cursor` for those.)
    public var startingPosition: StartingPosition = .trimHorizon
    /// Keep delivering new records as they become visible, until stopped. Default false: stop once
    /// every shard has been read to its current end.
    public var follow: Bool = false
    /// Read as a member of a consumer group that shares the shards and checkpoints progress.
    public var group: ConsumerGroupConfiguration?
    /// Records per read from one shard (and per batch handed to the iterator). Default 10,000.
    public var maxRecordsPerRead: Int = 10_000
    /// In follow mode, the longest wait between checks of a quiet shard. New records wake readers
    /// at once (notification), so this only bounds how long a lost lease or a stop takes to notice.
    /// Default 1 s.
    public var idleCheckInterval: Duration = .seconds(1)

    public init(stream: StreamName) {
        self.stream = stream
    }
}

/// Membership of a consumer group (KCL-like): shards are leased to one member at a time, members
/// joining or leaving rebalance, and checkpoints let a restarted group resume (at-least-once).
public struct ConsumerGroupConfiguration: Sendable {
    /// Group name: 1–128 characters from `[A-Za-z0-9_.-]`.
    public var name: String
    /// This member's id; default: host, process id and a random suffix.
    public var memberID: String
    /// Commit automatically every `records` processed records or `interval`, whichever comes first.
    /// A record counts as processed once the consumer asks for the next one. Default 1,000 / 5 s;
    /// nil to commit only explicitly.
    public var autoCommit: AutoCommit? = AutoCommit(records: 1000, interval: .seconds(5))
    /// A lease not renewed for this long may be taken by another member. Default 10 s.
    public var leaseDuration: Duration = .seconds(10)
    /// How often a member renews its leases and rebalances. Default 2 s.
    public var renewInterval: Duration = .seconds(2)

    public struct AutoCommit: Sendable {
        public var records: Int
        public var interval: Duration
        public init(records: Int, interval: Duration) {
            self.records = records
            self.interval = interval
        }
    }

    public init(name: String, memberID: String? = nil) {
        self.name = name
        var generator = SystemRandomNumberGenerator()
        self.memberID =
            memberID
            ?? "\(hostName())-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 36))"
    }
}

#if canImport(Glibc)
import Glibc
#endif

func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
