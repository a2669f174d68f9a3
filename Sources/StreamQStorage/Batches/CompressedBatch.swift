/// Records of one shard encoded and compressed away from the store, as one batch's payload: what
/// `streamq put --endpoint` sends `streamq serve`, which checks every record and appends the
/// payload as it came, without compressing it again (``StreamStore/enqueueAppend(to:shard:compressed:producer:completion:)``).
public struct CompressedBatch: Sendable {
    let payload: CompressedPayload

    /// The payload: the encoded records, zstd-compressed when ``isCompressed``.
    public var bytes: [UInt8] { payload.bytes }
    public var isCompressed: Bool { payload.codec == .zstd }
    /// Bytes of the encoded records before compression.
    public var rawLength: Int { payload.rawLength }
    public var recordCount: Int { payload.recordCount }
    /// The CRC-32C of ``bytes``, sent with them: the receiver checks it before anything else.
    public var checksum: UInt32 { bytes.withUnsafeBytes { CRC32C.checksum($0) } }

    /// Compresses `records` with zstd at `level`, or keeps them as they are when that does not
    /// shrink them.
    public init(compressing records: EncodedRecords, level: Int) throws {
        payload = try CompressedPayload.compressing(records, compression: .zstd(level: level))
    }

    /// A payload received from elsewhere, checked record by record: it must have the CRC-32C
    /// `checksum` (so a payload damaged on its way is never stored), and decompress to exactly
    /// `rawLength` bytes (at most `maxBatchBytes`) holding exactly `recordCount` well-formed
    /// records, each with a partition key of 1 to 256 characters of UTF-8, data of at most
    /// `maxRecordBytes`, no arrival time of its own, and a hash key (explicit, or the MD5 of its
    /// partition key) inside `hashKeys`.
    /// - Throws: `StreamQStorageError` (`.invalidArgument`, `.recordTooLarge`) saying which record
    ///   is wrong and how.
    public init(
        validating bytes: [UInt8],
        checksum: UInt32,
        isCompressed: Bool,
        rawLength: Int,
        recordCount: Int,
        hashKeys: HashKeyRange,
        maxRecordBytes: Int,
        maxBatchBytes: Int
    ) throws {
        guard recordCount > 0, rawLength > 0, rawLength <= maxBatchBytes else {
            throw StreamQStorageError.invalid(
                "a batch holds 1 or more records in 1 to \(maxBatchBytes) bytes, not \(recordCount) in \(rawLength)"
            )
        }
        guard UInt32(exactly: recordCount) != nil else { throw StreamQStorageError.invalid("too many records") }
        let computed = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        guard computed == checksum else {
            throw StreamQStorageError.invalid("batch payload checksum is \(computed), not \(checksum)")
        }
        var raw: [UInt8] = []
        let decompressor = ZstdDecompressor()
        if isCompressed {
            if let problem = bytes.withUnsafeBytes({
                decompressor.decompress($0, expectedLength: rawLength, into: &raw)
            }) {
                throw StreamQStorageError.invalid("batch payload: \(problem)")
            }
        } else {
            guard bytes.count == rawLength else {
                throw StreamQStorageError.invalid("batch payload is \(bytes.count) bytes, not \(rawLength)")
            }
        }
        let header = BatchHeader.unframed(recordCount: recordCount, rawLength: rawLength)
        try Self.check(isCompressed ? raw : bytes, header: header, hashKeys: hashKeys, maxRecordBytes: maxRecordBytes)
        payload = CompressedPayload(
            bytes: bytes,
            codec: isCompressed ? .zstd : .none,
            rawLength: rawLength,
            recordCount: recordCount
        )
    }

    /// Keys are hashed this many at a time (eight SIMD lanes of MD5 each step).
    private static let keysPerHashing = 256

    private static func check(
        _ raw: [UInt8],
        header: BatchHeader,
        hashKeys: HashKeyRange,
        maxRecordBytes: Int
    ) throws {
        try raw.withUnsafeBytes { bytes in
            // Keys routed by their MD5, and the record of each: hashed a few hundred at a time.
            var keys: [UnsafeRawBufferPointer] = []
            var keyRecords: [Int] = []
            keys.reserveCapacity(keysPerHashing)
            keyRecords.reserveCapacity(keysPerHashing)
            func checkHashes() throws {
                for (offset, hash) in HashKey.forPartitionKeys(utf8: keys).enumerated() where !hashKeys.contains(hash) {
                    throw StreamQStorageError.invalid(
                        "record \(keyRecords[offset]): partition key \(String(decoding: keys[offset], as: UTF8.self)) "
                            + "hashes outside \(hashKeys)"
                    )
                }
                keys.removeAll(keepingCapacity: true)
                keyRecords.removeAll(keepingCapacity: true)
            }
            var index = 0
            var failure: StreamQStorageError?
            let problem = try BatchDecoder.decode(header: header, raw: bytes) { record in
                defer { index += 1 }
                if let problem = Self.recordProblem(record, maxRecordBytes: maxRecordBytes) {
                    failure = problem
                } else if let explicit = record.explicitHashKey {
                    if !hashKeys.contains(explicit) {
                        failure = .invalid("explicit hash key \(explicit) is outside \(hashKeys)")
                    }
                } else {
                    keys.append(record.partitionKey)
                    keyRecords.append(index)
                    if keys.count == keysPerHashing { try checkHashes() }
                }
                if let problem = failure {
                    failure = StreamQStorageError(problem.code, "record \(index): \(problem.message)")
                    return false
                }
                return true
            }
            if let failure { throw failure }
            if let problem { throw StreamQStorageError.invalid("batch payload: \(problem)") }
            try checkHashes()
        }
    }

    /// What is wrong with a record, apart from where it routes.
    private static func recordProblem(_ record: RecordView, maxRecordBytes: Int) -> StreamQStorageError? {
        guard record.arrivalMilliseconds == 0 else { return .invalid("it has an arrival time of its own") }
        let key = record.partitionKey
        let isASCII = key.allSatisfy { $0 < 0x80 }
        guard !key.isEmpty,
            isASCII
                ? key.count <= 256
                : String(validating: key, as: UTF8.self).map(AppendRecord.isValidPartitionKey) == true
        else { return .invalid("partition key must be 1 to 256 characters of UTF-8") }
        guard record.data.count <= maxRecordBytes else {
            return StreamQStorageError(
                .recordTooLarge,
                "data is \(record.data.count) bytes; the limit is \(maxRecordBytes)"
            )
        }
        return nil
    }
}
