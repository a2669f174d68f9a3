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
    /// - Returns: ``byteCount`` and ``count`` after it, for a caller that cuts batches at a size
    ///   (reading them back through the struct costs a loop of many records more).
    @discardableResult
    public mutating func append(partitionKey: String, data: UnsafeRawBufferPointer) -> (byteCount: Int, count: Int) {
        Self.withUTF8(of: partitionKey) { append(key: $0, explicitHashKey: nil, data: data) }
        if invalidKey == nil, !AppendRecord.isValidPartitionKey(partitionKey) { invalidKey = partitionKey }
        return (bytes.count, count)
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

    @inline(__always)
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

    /// `body` of the key's UTF-8 bytes: a native string's lent in place, any other's copied first.
    @inline(__always)
    private static func withUTF8<R>(of key: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = key.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var copy = key
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// Lends each record's partition key, explicit hash key and data to `body`, in order.
    public func forEachRecord(
        _ body: (_ partitionKey: UnsafeRawBufferPointer, _ explicitHashKey: HashKey?, _ data: UnsafeRawBufferPointer)
            throws -> Void
    ) rethrows {
        guard count > 0 else { return }
        let header = BatchHeader.unframed(recordCount: count, rawLength: bytes.count)
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
    /// value`. Every record of a batch shares the batch's arrival time, so the delta is 0. The
    /// record is written straight into the buffer's room, with one capacity check.
    private mutating func append(key: UnsafeRawBufferPointer, explicitHashKey: HashKey?, data: UnsafeRawBufferPointer) {
        let head = Self.headLength(
            keyBytes: key.count,
            hasExplicitHashKey: explicitHashKey != nil,
            dataBytes: data.count
        )
        bytes.append(addingCapacity: head + data.count) { room in
            room.withUnsafeMutableBufferPointer { room, initialized in
                let target = UnsafeMutableRawPointer(room.baseAddress!)
                Self.storeHead(at: target, key: key, explicitHashKey: explicitHashKey, dataBytes: data.count)
                if let base = data.baseAddress { (target + head).copyMemory(from: base, byteCount: data.count) }
                initialized = head + data.count
            }
        }
        count += 1
        largestData = max(largestData, data.count)
    }

    /// Adds a record whose data `write` writes in place: it is given room for `maxDataBytes` and
    /// returns how many it wrote, or nil to add no record. What
    /// ``append(partitionKey:data:)`` stores, without the data being made elsewhere and copied in.
    /// - Returns: the data's length, or nil when `write` added nothing.
    public mutating func append(
        partitionKey: String,
        maxDataBytes: Int,
        writingData write: (UnsafeMutableRawPointer) -> Int?
    ) -> Int? {
        let written = Self.withUTF8(of: partitionKey) {
            append(key: $0, maxDataBytes: maxDataBytes, writingData: write)
        }
        if written != nil, invalidKey == nil, !AppendRecord.isValidPartitionKey(partitionKey) {
            invalidKey = partitionKey
        }
        return written
    }

    /// The data is written after a head for `maxDataBytes` of it; shorter data, whose length takes
    /// fewer bytes, then moves back to follow its own head.
    private mutating func append(
        key: UnsafeRawBufferPointer,
        maxDataBytes: Int,
        writingData write: (UnsafeMutableRawPointer) -> Int?
    ) -> Int? {
        let roomyHead = Self.headLength(keyBytes: key.count, hasExplicitHashKey: false, dataBytes: maxDataBytes)
        var written: Int?
        bytes.append(addingCapacity: roomyHead + maxDataBytes) { room in
            room.withUnsafeMutableBufferPointer { room, initialized in
                let target = UnsafeMutableRawPointer(room.baseAddress!)
                guard let dataBytes = write(target + roomyHead) else { return }
                precondition(dataBytes <= maxDataBytes, "a record's data overran its room")
                let head = Self.headLength(keyBytes: key.count, hasExplicitHashKey: false, dataBytes: dataBytes)
                // Back over its own bytes: copyMemory is a memmove.
                if head < roomyHead { (target + head).copyMemory(from: target + roomyHead, byteCount: dataBytes) }
                Self.storeHead(at: target, key: key, explicitHashKey: nil, dataBytes: dataBytes)
                initialized = head + dataBytes
                written = dataBytes
            }
        }
        if let written {
            count += 1
            largestData = max(largestData, written)
        }
        return written
    }

    /// The bytes of a record before its data.
    @inline(__always)
    private static func headLength(keyBytes: Int, hasExplicitHashKey: Bool, dataBytes: Int) -> Int {
        let body = bodyLength(keyBytes: keyBytes, hasExplicitHashKey: hasExplicitHashKey, dataBytes: dataBytes)
        return varintLength(UInt64(body)) + body - dataBytes
    }

    /// Writes a record's head (``headLength(keyBytes:hasExplicitHashKey:dataBytes:)`` bytes) at `target`.
    @inline(__always)
    private static func storeHead(
        at target: UnsafeMutableRawPointer,
        key: UnsafeRawBufferPointer,
        explicitHashKey: HashKey?,
        dataBytes: Int
    ) {
        // Room for the longest head: three varints, the attributes, the delta, the key and a hash key.
        let head = UnsafeMutableRawBufferPointer(start: target, count: 3 * 10 + 2 + key.count + 16)
        let body = bodyLength(keyBytes: key.count, hasExplicitHashKey: explicitHashKey != nil, dataBytes: dataBytes)
        var length = head.storeVarint(UInt64(body), at: 0)
        head[length] = explicitHashKey == nil ? 0 : 1
        head[length + 1] = 0  // timestamp delta
        length = head.storeVarint(UInt64(key.count), at: length + 2)
        if let base = key.baseAddress { (target + length).copyMemory(from: base, byteCount: key.count) }
        length += key.count
        if let explicitHashKey {
            head.storeBytes(of: explicitHashKey.bigEndian, toByteOffset: length, as: HashKey.self)
            length += 16
        }
        _ = head.storeVarint(UInt64(dataBytes), at: length)
    }
}
