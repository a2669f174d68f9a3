/// Consecutive batches of one shard exactly as the store keeps them (header and compressed
/// payload), and which of their records a reader asked for: how `streamq serve` answers a
/// GetRecords from a streamq client. No record is decoded on the server or encoded for the wire;
/// the client checks the batches as a local read does (both checksums, every length, batches that
/// follow each other) and decodes them itself.
///
/// Only unencrypted batches travel this way: the client has no data keys.
public struct StoredBatchRun: Sendable {
    /// The batches, each its 80-byte header and then its payload.
    public var bytes: [UInt8]
    /// The first sequence asked for (inside the first batch).
    public var firstSequence: UInt64
    /// One past the last sequence asked for (inside or at the end of the last batch).
    public var endSequence: UInt64

    public var recordCount: Int { Int(endSequence - firstSequence) }

    public init(bytes: [UInt8], firstSequence: UInt64, endSequence: UInt64) {
        self.bytes = bytes
        self.firstSequence = firstSequence
        self.endSequence = endSequence
    }

    /// Where one record asked for lies in the buffer ``decode(_:)`` returns.
    public struct RecordPlace: Sendable {
        public var sequence: UInt64
        public var arrivalMilliseconds: Int64
        public var partitionKey: Range<Int>
        public var explicitHashKey: HashKey?
        public var data: Range<Int>
    }

    /// The largest run a client decodes: ten answers of the most GetRecords returns (10 MiB of
    /// data), compressed or not.
    static let maxDecodedBytes = 100 << 20

    /// Checks every batch and decompresses them into one buffer, which it returns; `body` is given
    /// the place in it of each record from ``firstSequence`` to ``endSequence``, in order.
    /// - Throws: `StreamQStorageError` (`.corruption`) naming the byte of the run where a batch is
    ///   malformed, does not continue the one before, is encrypted, or does not hold the records
    ///   asked for.
    public func decode(_ body: (RecordPlace) throws -> Void) throws -> [UInt8] {
        let batches = try headers()
        let total = batches.reduce(0) { $0 + Int($1.header.rawLength) }
        let decompressor = ZstdDecompressor()
        return try [UInt8](unsafeUninitializedCapacity: total) { output, initialized in
            let base = UnsafeRawPointer(output.baseAddress!)
            var filled = 0
            try bytes.withUnsafeBytes { run in
                for (offset, header) in batches {
                    let payload = UnsafeRawBufferPointer(
                        rebasing: run[(offset + BatchHeader.size)..<(offset + Int(header.batchLength))]
                    )
                    let raw = UnsafeMutableRawBufferPointer(
                        rebasing: UnsafeMutableRawBufferPointer(output)[filled..<(filled + Int(header.rawLength))]
                    )
                    guard CRC32C.checksum(payload) == header.payloadCRC else {
                        throw Self.malformed(offset, "payload checksum mismatch")
                    }
                    switch header.codec {
                    case .none:
                        guard payload.count == raw.count else {
                            throw Self.malformed(offset, "raw length does not match payload")
                        }
                        raw.copyMemory(from: payload)
                    case .zstd:
                        if let problem = decompressor.decompress(payload, into: raw) {
                            throw Self.malformed(offset, problem)
                        }
                    }
                    filled += raw.count
                    let problem = try BatchDecoder.decode(header: header, raw: UnsafeRawBufferPointer(raw)) { record in
                        guard record.sequence < endSequence else { return false }
                        guard record.sequence >= firstSequence else { return true }
                        try body(
                            RecordPlace(
                                sequence: record.sequence,
                                arrivalMilliseconds: record.arrivalMilliseconds,
                                partitionKey: Self.range(of: record.partitionKey, from: base),
                                explicitHashKey: record.explicitHashKey,
                                data: Self.range(of: record.data, from: base)
                            )
                        )
                        return true
                    }
                    if let problem { throw Self.malformed(offset, problem) }
                }
            }
            initialized = total
        }
    }

    /// The headers of the batches and where each starts, checked to be well formed, unencrypted
    /// and consecutive, and to hold the records asked for.
    private func headers() throws -> [(offset: Int, header: BatchHeader)] {
        guard firstSequence < endSequence else {
            throw StreamQStorageError(.corruption, "stored batch run asks for no records")
        }
        var batches: [(offset: Int, header: BatchHeader)] = []
        var total = 0
        try bytes.withUnsafeBytes { run in
            var offset = 0
            while offset < run.count {
                guard run.count - offset >= BatchHeader.size else { throw Self.malformed(offset, "incomplete header") }
                let header: BatchHeader
                switch BatchHeader.parse(
                    UnsafeRawBufferPointer(rebasing: run[offset..<(offset + BatchHeader.size)]),
                    maxBatchLength: run.count - offset
                ) {
                case .success(let parsed): header = parsed
                case .failure(let problem): throw Self.malformed(offset, "bad batch header (\(problem))")
                }
                guard !header.isEncrypted else { throw Self.malformed(offset, "batch is encrypted") }
                if let previous = batches.last?.header {
                    guard header.baseSequence == previous.nextSequence else {
                        throw Self.malformed(
                            offset,
                            "batch starts at \(header.baseSequence), not \(previous.nextSequence)"
                        )
                    }
                } else {
                    guard header.baseSequence <= firstSequence, firstSequence < header.nextSequence else {
                        throw Self.malformed(offset, "first batch does not hold sequence \(firstSequence)")
                    }
                }
                total += Int(header.rawLength)
                guard total <= Self.maxDecodedBytes else {
                    throw Self.malformed(offset, "batches hold more than \(Self.maxDecodedBytes) bytes")
                }
                batches.append((offset, header))
                offset += Int(header.batchLength)
            }
        }
        guard let last = batches.last?.header, last.nextSequence >= endSequence else {
            throw StreamQStorageError(.corruption, "stored batch run ends before sequence \(endSequence)")
        }
        return batches
    }

    private static func range(of bytes: UnsafeRawBufferPointer, from base: UnsafeRawPointer) -> Range<Int> {
        guard let start = bytes.baseAddress else { return 0..<0 }
        return (start - base)..<(start - base + bytes.count)
    }

    private static func malformed(_ offset: Int, _ problem: String) -> StreamQStorageError {
        StreamQStorageError(.corruption, "stored batch run, batch at byte \(offset): \(problem)")
    }
}
