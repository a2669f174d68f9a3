/// Storage figures of one shard, as `streamq stats` shows them.
public struct ShardStatistics: Sendable, Equatable {
    public var shard: ShardID
    public var isOpen: Bool
    public var records: UInt64
    public var bytesOnDisk: Int
    /// Record bytes before compression (keys, data and framing inside batches).
    public var uncompressedBytes: Int
    /// Payload bytes as stored (after compression).
    public var storedPayloadBytes: Int
    public var oldestArrivalMilliseconds: Int64?
    public var newestArrivalMilliseconds: Int64?
    /// Records that arrived in the minute before the call.
    public var recordsLastMinute: UInt64

    /// Uncompressed over stored payload bytes (1 when empty).
    public var compressionRatio: Double {
        storedPayloadBytes == 0 ? 1 : Double(uncompressedBytes) / Double(storedPayloadBytes)
    }
}

extension ShardSnapshot {
    /// Scans batch headers (no decompression) to total the shard's figures; `decoder` reads the
    /// arrival times of the last minute's records.
    func statistics(shard: ShardID, isOpen: Bool, now: Int64, decoder: BatchDecoder) throws -> ShardStatistics {
        var uncompressed = 0
        var stored = 0
        for segment in segments where !segment.isEmpty && segment.baseSequence < visibleNext {
            var scanner = SegmentScanner(
                file: try FileHandle.openForReading(segment.path),
                from: SegmentHeader.size,
                limit: segment.byteLength,
                maxBatchLength: configuration.maxStoredBatchBytes
            )
            while let header = try scanner.next({ header, _ in header }), header.baseSequence < visibleNext {
                uncompressed += Int(header.rawLength)
                stored += header.payloadLength
            }
        }
        let lastMinuteStart = try firstSequence(atOrAfter: now - 60_000, decoder: decoder)
        return ShardStatistics(
            shard: shard,
            isOpen: isOpen,
            records: visibleNext - bounds.start,
            bytesOnDisk: diskUsage.bytes,
            uncompressedBytes: uncompressed,
            storedPayloadBytes: stored,
            oldestArrivalMilliseconds: segments.first(where: { !$0.isEmpty })?.firstTimestamp,
            newestArrivalMilliseconds: newestArrival,
            recordsLastMinute: visibleNext - min(visibleNext, lastMinuteStart)
        )
    }
}
