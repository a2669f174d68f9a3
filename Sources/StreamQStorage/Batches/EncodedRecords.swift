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
        var key = partitionKey
        key.withUTF8 { keyBytes in append(key: UnsafeRawBufferPointer(keyBytes), explicitHashKey: nil, data: data) }
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

    /// Lends each record's partition key, explicit hash key and data to `body`, in order.
    public func forEachRecord(
        _ body: (_ partitionKey: UnsafeRawBufferPointer, _ explicitHashKey: HashKey?, _ data: UnsafeRawBufferPointer)
            throws -> Void
    ) rethrows {
        guard count > 0 else { return }
        let header = BatchHeader(
            batchLength: 0,
            codec: .none,
            baseSequence: 0,
            recordCount: UInt32(count),
            firstTimestamp: 0,
            maxTimestamp: 0,
            rawLength: UInt32(bytes.count),
            payloadCRC: 0
        )
        // The records were encoded here, so they decode: a problem would be a bug, not bad input.
        let problem = try bytes.withUnsafeBytes { raw in
            try BatchDecoder.decode(header: header, raw: raw) { record in
                try body(record.partitionKey, record.explicitHashKey, record.data)
                return true
            }
        }
        precondition(problem == nil, "encoded records do not decode: \(problem!)")
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
        // The fields before the key, and the data's length, are put together on the stack and
        // appended at once: one capacity check each instead of one per byte.
        var head: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &head) { head in
            var length = head.storeVarint(UInt64(body), at: 0)
            head[length] = explicitHashKey == nil ? 0 : 1
            head[length + 1] = 0  // timestamp delta
            length = head.storeVarint(UInt64(key.count), at: length + 2)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[..<length]))
        }
        bytes.append(contentsOf: key)
        if let explicitHashKey {
            withUnsafeBytes(of: explicitHashKey.bigEndian) { bytes.append(contentsOf: $0) }
        }
        withUnsafeMutableBytes(of: &head) { head in
            let length = head.storeVarint(UInt64(data.count), at: 0)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[..<length]))
        }
        bytes.append(contentsOf: data)
        count += 1
        largestData = max(largestData, data.count)
    }
}
