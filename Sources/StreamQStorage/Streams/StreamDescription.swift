/// What `describeStream` reports about a stream.
public struct StreamDescription: Sendable, Equatable {
    public var name: StreamName
    public var createdAtMilliseconds: Int64
    public var retention: Duration
    public var retentionBytes: Int?
    public var shards: [ShardDescription]
    /// Whether records written from now on are encrypted, and with which master key.
    public var encryption: StreamEncryption

    public init(
        name: StreamName,
        createdAtMilliseconds: Int64,
        retention: Duration,
        retentionBytes: Int?,
        shards: [ShardDescription],
        encryption: StreamEncryption
    ) {
        self.name = name
        self.createdAtMilliseconds = createdAtMilliseconds
        self.retention = retention
        self.retentionBytes = retentionBytes
        self.shards = shards
        self.encryption = encryption
    }

    /// Shards that accept writes.
    public var openShards: [ShardDescription] { shards.filter(\.isOpen) }
}

/// One shard as `describeStream` reports it.
public struct ShardDescription: Sendable, Equatable {
    public var id: ShardID
    public var hashKeyRange: HashKeyRange
    public var parents: [ShardID]
    public var children: [ShardID]
    public var isOpen: Bool
    /// The first sequence number the shard was given.
    public var startingSequenceNumber: SequenceNumber
    /// The last sequence number of a closed shard (nil while open, or if it closed empty).
    public var endingSequenceNumber: SequenceNumber?
    /// The oldest stored record's sequence (after retention) and one past the newest visible one.
    public var storedSequences: Range<UInt64>
    public var bytesOnDisk: Int
    public var segmentCount: Int
    public var newestArrivalMilliseconds: Int64?

    public init(
        id: ShardID,
        hashKeyRange: HashKeyRange,
        parents: [ShardID],
        children: [ShardID],
        isOpen: Bool,
        startingSequenceNumber: SequenceNumber,
        endingSequenceNumber: SequenceNumber?,
        storedSequences: Range<UInt64>,
        bytesOnDisk: Int,
        segmentCount: Int,
        newestArrivalMilliseconds: Int64?
    ) {
        self.id = id
        self.hashKeyRange = hashKeyRange
        self.parents = parents
        self.children = children
        self.isOpen = isOpen
        self.startingSequenceNumber = startingSequenceNumber
        self.endingSequenceNumber = endingSequenceNumber
        self.storedSequences = storedSequences
        self.bytesOnDisk = bytesOnDisk
        self.segmentCount = segmentCount
        self.newestArrivalMilliseconds = newestArrivalMilliseconds
    }
}

/// Where a read starts in a shard: the five Kinesis iterator types.
public enum StartingPosition: Sendable, Equatable {
    /// The oldest record still stored.
    case trimHorizon
    /// Just after the newest record: only records written from now on.
    case latest
    case atSequence(SequenceNumber)
    case afterSequence(SequenceNumber)
    /// The first record that arrived at or after this time (ms since the epoch).
    case atTimestamp(Int64)
}

/// A position in one shard to read from; what Kinesis calls a shard iterator.
public struct ShardCursor: Sendable, Hashable {
    public var stream: StreamName
    public var shard: ShardID
    /// The shard-local sequence of the next record to read.
    public var sequence: UInt64

    public init(stream: StreamName, shard: ShardID, sequence: UInt64) {
        self.stream = stream
        self.shard = shard
        self.sequence = sequence
    }
}

/// The records one read returned and where to continue.
public struct ReadResult: Sendable {
    public var records: [StoredRecord]
    /// Where to continue; nil once a closed shard has been read to its end.
    public var next: ShardCursor?
    /// The shards that continue a closed shard's keys (set when `next` is nil).
    public var childShards: [ShardID]
    /// Set when the requested start had already been deleted by retention.
    public var trimmedTo: UInt64?
    /// How far the last returned record is behind the newest in the shard, in milliseconds.
    public var millisBehindLatest: Int64

    public init(
        records: [StoredRecord],
        next: ShardCursor?,
        childShards: [ShardID],
        trimmedTo: UInt64?,
        millisBehindLatest: Int64
    ) {
        self.records = records
        self.next = next
        self.childShards = childShards
        self.trimmedTo = trimmedTo
        self.millisBehindLatest = millisBehindLatest
    }
}

/// What a zero-copy scan covered; see `StreamStore.scan`.
public struct ScanResult: Sendable {
    public var recordCount: Int
    public var next: ShardCursor?
    public var childShards: [ShardID]
    public var trimmedTo: UInt64?

    public init(recordCount: Int, next: ShardCursor?, childShards: [ShardID], trimmedTo: UInt64?) {
        self.recordCount = recordCount
        self.next = next
        self.childShards = childShards
        self.trimmedTo = trimmedTo
    }
}
