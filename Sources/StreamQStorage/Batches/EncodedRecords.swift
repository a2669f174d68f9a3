/// Records already in the storage engine's on-disk record encoding, ready to become one batch.
///
/// The bulk-ingest path: a caller that has many records at hand (`streamq put` reading stdin)
/// encodes them here straight from its own buffers, with no ``AppendRecord`` (and no allocation)
/// per record, and appends them with ``StreamStore/enqueueAppend(to:shard:encoded:producer:completion:)``.
/// The store compresses them off the shard's writer thread. Keep one under about `maxBatchBytes`
/// (1 MiB by default) of encoded bytes: it is stored as a single batch.
public struct EncodedRecords: Sendable {
    /// The encoded records (storage notes §3.3), one after another.
    private(set) var bytes: [UInt8] = []
    /// Records encoded so far.
    public private(set) var count = 0
    /// The largest record data added, checked against the store's record limit on append.
    private(set) var largestData = 0
    /// A partition key outside 1 to 256 characters, reported on append (the first one found).
    private(set) var invalidKey: String?

    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Encoded bytes so far (the batch's uncompressed size).
    public var byteCount: Int { bytes.count }
    public var isEmpty: Bool { count == 0 }

    /// Adds a record whose data is `data`, stored byte for byte.
    public mutating func append(partitionKey: String, data: UnsafeRawBufferPointer) {
        let appended: Void? = partitionKey.utf8.withContiguousStorageIfAvailable { keyBytes in
            append(key: UnsafeRawBufferPointer(keyBytes), explicitHashKey: nil, data: data)
        }
        if appended == nil {
            var key = partitionKey
            key.withUTF8 { keyBytes in append(key: UnsafeRawBufferPointer(keyBytes), explicitHashKey: nil, data: data) }
        }
        if invalidKey == nil, !AppendRecord.isValidPartitionKey(partitionKey) { invalidKey = partitionKey }
    }

    mutating func append(_ record: AppendRecord) {
        var key = record.partitionKey
        key.withUTF8 { keyBytes in
            record.data.withUnsafeBytes { data in
                append(key: UnsafeRawBufferPointer(keyBytes), explicitHashKey: record.explicitHashKey, data: data)
            }
        }
    }

    /// How many bytes ``append(_:)`` adds for `record`.
    static func encodedLength(of record: AppendRecord) -> Int {
        let body = bodyLength(
            keyBytes: record.partitionKey.utf8.count,
            hasExplicitHashKey: record.explicitHashKey != nil,
            dataBytes: record.data.count
        )
        return varintLength(UInt64(body)) + body
    }

    private static func bodyLength(keyBytes: Int, hasExplicitHashKey: Bool, dataBytes: Int) -> Int {
        1 + 1 + varintLength(UInt64(keyBytes)) + keyBytes + (hasExplicitHashKey ? 16 : 0)
            + varintLength(UInt64(dataBytes)) + dataBytes
    }

    /// Adds `other`'s records after these.
    mutating func append(contentsOf other: EncodedRecords) {
        bytes.append(contentsOf: other.bytes)
        count += other.count
        largestData = max(largestData, other.largestData)
        if invalidKey == nil { invalidKey = other.invalidKey }
    }

    mutating func removeAll(keepingCapacity: Bool) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        count = 0
        largestData = 0
        invalidKey = nil
    }

    /// One record: `length attributes timestampDelta keyLength key [explicitHashKey] valueLength
    /// value`. Every record of a batch shares the batch's arrival time, so the delta is 0.
    private mutating func append(key: UnsafeRawBufferPointer, explicitHashKey: HashKey?, data: UnsafeRawBufferPointer) {
        let body = Self.bodyLength(
            keyBytes: key.count,
            hasExplicitHashKey: explicitHashKey != nil,
            dataBytes: data.count
        )
        // Everything before the data is put together on the stack and appended at once (one capacity
        // check instead of one per field): the key too, unless it is longer than the stack block.
        var head: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &head) { head in
            var length = head.storeVarint(UInt64(body), at: 0)
            head[length] = explicitHashKey == nil ? 0 : 1
            head[length + 1] = 0  // timestamp delta
            length = head.storeVarint(UInt64(key.count), at: length + 2)
            // Room after the key for the hash key (16) and the data's length (at most 10).
            if length + key.count + 26 <= head.count {
                if let base = key.baseAddress {
                    (head.baseAddress! + length).copyMemory(from: base, byteCount: key.count)
                }
                length += key.count
            } else {
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[..<length]))
                bytes.append(contentsOf: key)
                length = 0
            }
            if let explicitHashKey {
                head.storeBytes(of: explicitHashKey.bigEndian, toByteOffset: length, as: HashKey.self)
                length += 16
            }
            length = head.storeVarint(UInt64(data.count), at: length)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[..<length]))
        }
        bytes.append(contentsOf: data)
        count += 1
        largestData = max(largestData, data.count)
    }
}
