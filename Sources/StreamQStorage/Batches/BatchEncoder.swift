/// Turns records into framed, compressed batches ready to be written to a segment.
///
/// Owned by one shard writer; it keeps its buffers between calls so the hot path does not allocate.
/// Large appends arrive already compressed (see ``CompressedPayload``) and are only framed here.
final class BatchEncoder {
    private let compressor: ZstdCompressor?
    private var pending = EncodedRecords()

    init(compression: Compression) {
        switch compression {
        case .none: compressor = nil
        case .zstd(let level): compressor = ZstdCompressor(level: level)
        }
    }

    /// Uncompressed bytes of the records added since the last `finish`.
    var pendingBytes: Int { pending.byteCount }
    var pendingRecords: Int { pending.count }

    /// Adds a record to the batch being built.
    func add(_ record: AppendRecord) {
        pending.append(record)
    }

    /// Adds already encoded records to the batch being built.
    func add(_ records: EncodedRecords) {
        pending.append(contentsOf: records)
    }

    /// Compresses the records added so far into one framed batch appended to `output`, and starts
    /// a new batch. With a `sealer`, the compressed payload is then encrypted.
    /// - Returns: the batch header that was written.
    @discardableResult
    func finish(
        baseSequence: UInt64,
        timestamp: Int64,
        producer: ProducerStamp? = nil,
        sealer: BatchSealer? = nil,
        appendingTo output: inout [UInt8]
    ) throws -> BatchHeader {
        defer { pending.removeAll(keepingCapacity: true) }
        let headerOffset = output.count
        output.append(contentsOf: repeatElement(0, count: BatchHeader.size))
        let codec = try CompressedPayload.compress(pending.bytes, with: compressor, appendingTo: &output)
        return try Self.writeHeader(
            at: headerOffset,
            in: &output,
            codec: codec,
            baseSequence: baseSequence,
            recordCount: pending.count,
            rawLength: pending.byteCount,
            timestamp: timestamp,
            producer: producer,
            sealer: sealer
        )
    }

    /// Frames a payload compressed ahead of the writer as one batch appended to `output`,
    /// encrypting it with a `sealer`.
    static func frame(
        _ payload: CompressedPayload,
        baseSequence: UInt64,
        timestamp: Int64,
        producer: ProducerStamp?,
        sealer: BatchSealer?,
        appendingTo output: inout [UInt8]
    ) throws -> BatchHeader {
        let headerOffset = output.count
        output.append(contentsOf: repeatElement(0, count: BatchHeader.size))
        output.append(contentsOf: payload.bytes)
        return try writeHeader(
            at: headerOffset,
            in: &output,
            codec: payload.codec,
            baseSequence: baseSequence,
            recordCount: payload.recordCount,
            rawLength: payload.rawLength,
            timestamp: timestamp,
            producer: producer,
            sealer: sealer
        )
    }

    /// Encodes `records` as one batch and appends header + payload to `output`.
    @discardableResult
    func encode(
        _ records: ArraySlice<AppendRecord>,
        baseSequence: UInt64,
        timestamp: Int64,
        sealer: BatchSealer? = nil,
        appendingTo output: inout [UInt8]
    ) throws -> BatchHeader {
        for record in records { add(record) }
        return try finish(baseSequence: baseSequence, timestamp: timestamp, sealer: sealer, appendingTo: &output)
    }

    /// Fills in the header in front of the payload that ends `output` (encrypting the payload first
    /// with a `sealer`, which authenticates the header), payload checksum included.
    private static func writeHeader(
        at headerOffset: Int,
        in output: inout [UInt8],
        codec: BatchHeader.Codec,
        baseSequence: UInt64,
        recordCount: Int,
        rawLength: Int,
        timestamp: Int64,
        producer: ProducerStamp?,
        sealer: BatchSealer?
    ) throws -> BatchHeader {
        let payloadStart = headerOffset + BatchHeader.size
        var header = BatchHeader(
            batchLength: UInt32(output.count - headerOffset + (sealer == nil ? 0 : BatchEnvelope.overhead)),
            codec: codec,
            baseSequence: baseSequence,
            recordCount: UInt32(recordCount),
            firstTimestamp: timestamp,
            maxTimestamp: timestamp,
            producerID: producer?.producerID ?? 0,
            producerSequence: producer?.sequence ?? 0,
            rawLength: UInt32(rawLength),
            payloadCRC: 0,
            isEncrypted: sealer != nil
        )
        try sealer?.seal(&output, payloadStart: payloadStart, header: header)
        header.payloadCRC = output.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart...]))
        }
        header.write(into: &output, at: headerOffset)
        return header
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
