/// Turns records into framed, compressed batches ready to be written to a segment.
///
/// Owned by one shard writer; it keeps its buffers between calls so the hot path does not allocate.
final class BatchEncoder {
    private let compressor: ZstdCompressor?
    private var raw: [UInt8] = []

    init(compression: Compression) {
        switch compression {
        case .none: compressor = nil
        case .zstd(let level): compressor = ZstdCompressor(level: level)
        }
    }

    private var recordCount = 0

    /// Uncompressed bytes of the records added since the last `finish`.
    var pendingBytes: Int { raw.count }
    var pendingRecords: Int { recordCount }

    /// Adds a record to the batch being built.
    func add(_ record: AppendRecord) {
        Self.encodeRecord(record, timestampDelta: 0, into: &raw)
        recordCount += 1
    }

    /// Compresses the records added so far into one framed batch appended to `output`, and starts
    /// a new batch. With a `sealer`, the compressed payload is then encrypted.
    /// - Returns: the batch header that was written.
    @discardableResult
    func finish(
        baseSequence: UInt64, timestamp: Int64, producer: ProducerStamp? = nil, sealer: BatchSealer? = nil,
        appendingTo output: inout [UInt8]
    ) throws -> BatchHeader {
        defer {
            raw.removeAll(keepingCapacity: true)
            recordCount = 0
        }
        let headerOffset = output.count
        output.append(contentsOf: repeatElement(0, count: BatchHeader.size))
        var codec = BatchHeader.Codec.none
        if let compressor {
            let compressedLength = try raw.withUnsafeBytes { bytes in
                try compressor.compress(bytes, appendingTo: &output)
            }
            if compressedLength < raw.count {
                codec = .zstd
            } else {  // incompressible: store as is, reads then skip decompression
                output.removeSubrange((headerOffset + BatchHeader.size)...)
            }
        }
        if codec == .none { output.append(contentsOf: raw) }
        let payloadStart = headerOffset + BatchHeader.size
        var header = BatchHeader(
            batchLength: UInt32(output.count - headerOffset + (sealer == nil ? 0 : BatchEnvelope.overhead)), codec: codec,
            baseSequence: baseSequence, recordCount: UInt32(recordCount), firstTimestamp: timestamp,
            maxTimestamp: timestamp, producerID: producer?.producerID ?? 0, producerSequence: producer?.sequence ?? 0,
            rawLength: UInt32(raw.count), payloadCRC: 0, isEncrypted: sealer != nil)
        try sealer?.seal(&output, payloadStart: payloadStart, header: header)
        header.payloadCRC = output.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart...])) }
        header.write(into: &output, at: headerOffset)
        return header
    }

    /// Encodes `records` as one batch and appends header + payload to `output`.
    @discardableResult
    func encode(
        _ records: ArraySlice<AppendRecord>, baseSequence: UInt64, timestamp: Int64, sealer: BatchSealer? = nil,
        appendingTo output: inout [UInt8]
    ) throws -> BatchHeader {
        for record in records { add(record) }
        return try finish(baseSequence: baseSequence, timestamp: timestamp, sealer: sealer, appendingTo: &output)
    }

    /// A record inside an uncompressed payload (storage notes §3.3):
    /// `length attributes timestampDelta keyLength key [explicitHashKey] valueLength value`.
    private static func bodyLength(_ record: AppendRecord, timestampDelta: UInt64) -> Int {
        let keyLength = record.partitionKey.utf8.count
        return 1 + varintLength(timestampDelta) + varintLength(UInt64(keyLength)) + keyLength
            + (record.explicitHashKey == nil ? 0 : 16) + varintLength(UInt64(record.data.count)) + record.data.count
    }

    static func encodeRecord(_ record: AppendRecord, timestampDelta: UInt64, into buffer: inout [UInt8]) {
        buffer.appendVarint(UInt64(bodyLength(record, timestampDelta: timestampDelta)))
        buffer.append(record.explicitHashKey == nil ? 0 : 1)
        buffer.appendVarint(timestampDelta)
        buffer.appendVarint(UInt64(record.partitionKey.utf8.count))
        buffer.append(contentsOf: record.partitionKey.utf8)
        if let hashKey = record.explicitHashKey {
            withUnsafeBytes(of: hashKey.bigEndian) { buffer.append(contentsOf: $0) }
        }
        buffer.appendVarint(UInt64(record.data.count))
        buffer.append(contentsOf: record.data)
    }
}

/// How batch payloads are compressed on disk.
public enum Compression: Sendable, Equatable, CustomStringConvertible {
    case none
    /// zstd at `level` (1 is fastest; 1 to 19 are accepted).
    case zstd(level: Int)

    public var description: String {
        switch self {
        case .none: "none"
        case .zstd(let level): "zstd-\(level)"
        }
    }
}
