import Dispatch
import Synchronization

/// A batch payload compressed ahead of its shard's writer: everything a batch needs but its place
/// in the shard (sequence, arrival time), which the writer adds when it frames the batch.
///
/// A record's encoding holds neither its sequence nor its arrival time, so compression, the bulk
/// of an append's cost, does not have to wait for the writer: large appends are compressed on any
/// core as they are queued, several at once, and the writer only frames, writes and syncs them in
/// order.
struct CompressedPayload: Sendable {
    var bytes: [UInt8]
    var codec: BatchHeader.Codec
    var rawLength: Int
    var recordCount: Int

    /// Compresses `records` into payloads of at most `maxBatchBytes` uncompressed each (a record
    /// never spans two).
    static func compressing(
        _ records: [AppendRecord],
        maxBatchBytes: Int,
        compression: Compression
    ) throws -> [CompressedPayload] {
        var payloads: [CompressedPayload] = []
        var raw = EncodedRecords()
        for record in records {
            raw.append(record)
            if raw.byteCount >= maxBatchBytes {
                payloads.append(try compressing(raw, compression: compression))
                raw.removeAll(keepingCapacity: true)
            }
        }
        if !raw.isEmpty { payloads.append(try compressing(raw, compression: compression)) }
        return payloads
    }

    static func compressing(_ records: EncodedRecords, compression: Compression) throws -> CompressedPayload {
        var bytes: [UInt8] = []
        let codec: BatchHeader.Codec
        switch compression {
        case .none:
            codec = try compress(records.bytes, with: nil, appendingTo: &bytes)
        case .zstd(let level):
            codec = try CompressorPool.shared.withCompressor(level: level) { compressor in
                try compress(records.bytes, with: compressor, appendingTo: &bytes)
            }
        }
        // Exactly as long as it is: the buffer compression wrote into has room for the worst case.
        return CompressedPayload(
            bytes: Array(bytes[...]),
            codec: codec,
            rawLength: records.byteCount,
            recordCount: records.count
        )
    }

    /// Appends `raw` to `output` compressed, or as it is when compression does not shrink it (reads
    /// then skip decompression).
    static func compress(
        _ raw: [UInt8],
        with compressor: ZstdCompressor?,
        appendingTo output: inout [UInt8]
    ) throws -> BatchHeader.Codec {
        let start = output.count
        if let compressor {
            let compressedLength = try raw.withUnsafeBytes { try compressor.compress($0, appendingTo: &output) }
            if compressedLength < raw.count { return .zstd }
            output.removeSubrange(start...)
        }
        output.append(contentsOf: raw)
        return .none
    }
}

/// zstd contexts shared by the threads that compress appends ahead of the writers; a context is
/// used by one thread at a time and kept for the next append (creating one costs more than
/// compressing a small batch).
final class CompressorPool: Sendable {
    static let shared = CompressorPool()

    /// Where appends are compressed: any core, several at once.
    let queue = DispatchQueue(label: "streamq.compression", qos: .userInitiated, attributes: .concurrent)

    private let idle = Mutex<[Int: [ZstdCompressor]]>([:])

    func withCompressor<T>(level: Int, _ body: (ZstdCompressor) throws -> T) rethrows -> T {
        let compressor = idle.withLock { $0[level]?.popLast() } ?? ZstdCompressor(level: level)
        defer { idle.withLock { $0[level, default: []].append(compressor) } }
        return try body(compressor)
    }
}
