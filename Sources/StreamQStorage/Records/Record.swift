/// A record to append: a partition key that routes it, optional explicit hash key, and opaque data.
public struct AppendRecord: Sendable, Equatable {
    /// 1–256 Unicode characters; its MD5 picks the shard unless `explicitHashKey` is set.
    public var partitionKey: String
    /// Overrides the MD5 of the partition key for routing, as Kinesis's `ExplicitHashKey` does.
    public var explicitHashKey: HashKey?
    /// The payload, stored byte for byte.
    public var data: [UInt8]

    public init(partitionKey: String, explicitHashKey: HashKey? = nil, data: [UInt8]) {
        self.partitionKey = partitionKey
        self.explicitHashKey = explicitHashKey
        self.data = data
    }

    public init(partitionKey: String, data: String) {
        self.init(partitionKey: partitionKey, data: Array(data.utf8))
    }

    /// The key that routes the record to a shard.
    public var hashKey: HashKey { explicitHashKey ?? .forPartitionKey(partitionKey) }

    func validate(maxDataBytes: Int) throws(StreamQStorageError) {
        guard Self.isValidPartitionKey(partitionKey) else {
            throw .invalid(
                "partition key must be 1 to 256 Unicode characters, got \(partitionKey.unicodeScalars.count)"
            )
        }
        guard data.count <= maxDataBytes else {
            throw StreamQStorageError(
                .recordTooLarge,
                "record data is \(data.count) bytes; the limit is \(maxDataBytes)"
            )
        }
    }

    /// Whether `key` has 1 to 256 Unicode characters, as Kinesis requires.
    static func isValidPartitionKey(_ key: String) -> Bool {
        // Fast path: 1 to 256 UTF-8 bytes is always 1 to 256 characters.
        let bytes = key.utf8.count
        if bytes >= 1 && bytes <= 256 { return true }
        return (1...256).contains(key.unicodeScalars.count)
    }
}

/// A stored record as read back, with the position and time the store gave it.
public struct StoredRecord: Sendable, Equatable {
    public var sequenceNumber: SequenceNumber
    /// Milliseconds since the Unix epoch when the shard accepted the record; never decreases within
    /// a shard.
    public var arrivalMilliseconds: Int64
    public var partitionKey: String
    public var explicitHashKey: HashKey?
    public var data: [UInt8]
    /// Whether the record is stored encrypted at rest (Kinesis's per-record `EncryptionType`).
    public var isEncrypted: Bool

    public init(
        sequenceNumber: SequenceNumber,
        arrivalMilliseconds: Int64,
        partitionKey: String,
        explicitHashKey: HashKey?,
        data: [UInt8],
        isEncrypted: Bool = false
    ) {
        self.sequenceNumber = sequenceNumber
        self.arrivalMilliseconds = arrivalMilliseconds
        self.partitionKey = partitionKey
        self.explicitHashKey = explicitHashKey
        self.data = data
        self.isEncrypted = isEncrypted
    }
}

/// What an append returns for one record: where it went.
public struct AppendResult: Sendable, Equatable {
    public var shard: ShardID
    public var sequenceNumber: SequenceNumber

    public init(shard: ShardID, sequenceNumber: SequenceNumber) {
        self.shard = shard
        self.sequenceNumber = sequenceNumber
    }
}
