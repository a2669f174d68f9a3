import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A shard read by a process that does not hold the data directory's write lock.
///
/// It builds its view from the segment files, never modifying them: a batch that does not check
/// out at the end of the active segment is simply not there yet (the writer may be mid-write), and
/// nothing is ever read past the writer's `VISIBLE` watermark, so a reader sees a record only once
/// the writer made it visible (durable, under `FsyncPolicy.always`) and never a torn batch.
final class ReadOnlyShard: ShardSource {
    let shard: ShardID
    let directory: String
    let changes = ChangeSignal()
    private let configuration: StorageConfiguration
    private let state = Mutex<[Segment]>([])

    init(shard: ShardID, directory: String, configuration: StorageConfiguration) {
        self.shard = shard
        self.directory = directory
        self.configuration = configuration
    }

    /// Re-reads the watermark and scans whatever the writer appended since the last call.
    func snapshot() throws -> ShardSnapshot {
        try state.withLock { segments in
            let watermark = ShardWatermark.read(in: directory)
            try refresh(&segments, upTo: watermark)
            guard !segments.isEmpty else {
                throw StreamQStorageError(.shardNotFound, "\(shard) has no segment files in \(directory)")
            }
            let scannedNext = segments[segments.count - 1].nextSequence
            let visible = watermark.map { min($0.next, scannedNext) } ?? scannedNext
            return ShardSnapshot(segments: segments, visibleNext: visible, configuration: configuration)
        }
    }

    private func refresh(_ segments: inout [Segment], upTo watermark: ShardWatermark?) throws {
        // Segments deleted by retention disappear from the front (retention deletes oldest first):
        // all that were known, when the writer has moved on by more than retention keeps.
        while let first = segments.first, !FileSystem.exists(first.path) { segments.removeFirst() }
        let known = segments.last?.baseSequence
        if known == nil || (watermark.map { $0.segmentBase > known! } ?? true) {
            let bases = try FileSystem.contents(of: directory).compactMap(Segment.baseSequence(fromFileName:)).sorted()
            for base in bases where known == nil || base > known! {
                // Past the watermark: created, not yet written to. Still taken when nothing before
                // it is left (the watermark's segment was deleted since it was written), for the
                // shard's bounds; `visibleNext` keeps its records hidden.
                if let watermark, base > watermark.segmentBase, !segments.isEmpty { break }
                if !segments.isEmpty { try extend(&segments[segments.count - 1], limit: nil) }
                segments.append(try open(base: base))
            }
        }
        guard !segments.isEmpty else { return }
        var last = segments[segments.count - 1]
        let limit = watermark.flatMap { $0.segmentBase == last.baseSequence ? Int($0.byteLength) : nil }
        try extend(&last, limit: limit)
        segments[segments.count - 1] = last
        // One deleted while this ran (`extend` skipped it) goes too, unless it is the only one left.
        while segments.count > 1, !FileSystem.exists(segments[0].path) { segments.removeFirst() }
    }

    private func open(base: UInt64) throws -> Segment {
        let path = directory + "/" + Segment.fileName(baseSequence: base)
        var segment = Segment(
            baseSequence: base,
            path: path,
            createdAt: 0,
            nextSequence: base,
            byteLength: SegmentHeader.size,
            firstTimestamp: nil,
            maxTimestamp: 0,
            index: SegmentIndex(),
            sealed: false
        )
        if let summary = try? SealedSegmentSummary.parse(FileSystem.readFile(segment.indexPath)),
            summary.baseSequence == base
        {
            segment.nextSequence = summary.nextSequence
            segment.byteLength = Int(summary.byteLength)
            segment.firstTimestamp = summary.nextSequence > base ? summary.firstTimestamp : nil
            segment.maxTimestamp = summary.maxTimestamp
            segment.index = summary.index
            segment.sealed = true
        }
        return segment
    }

    /// Scans complete, valid batches after the segment's known end, up to `limit` bytes if given.
    private func extend(_ segment: inout Segment, limit: Int?) throws {
        guard !segment.sealed else { return }
        let file: FileHandle
        do {
            file = try FileHandle.openForReading(segment.path)
        } catch {
            guard !FileSystem.exists(segment.path) else { throw error }
            return  // deleted by retention just now; refresh drops it
        }
        let end = min(limit ?? Int.max, try file.size())
        guard end > segment.byteLength else { return }
        var scanner = SegmentScanner(
            file: file,
            from: segment.byteLength,
            limit: end,
            maxBatchLength: configuration.maxStoredBatchBytes
        )
        while true {
            let position = scanner.position
            let header: BatchHeader?
            do {
                // Up to the writer's watermark every batch was complete when published (framing
                // and the header's CRC are still checked here, the payload's CRC when it is read);
                // past it (no watermark yet) only the payload's CRC tells a torn write.
                header = try scanner.next { header, payload in
                    guard header.baseSequence == segment.nextSequence,
                        limit != nil || CRC32C.checksum(payload) == header.payloadCRC
                    else {
                        throw SegmentScanner.Stop.invalid(position: position, reason: "", extendsPastEnd: false)
                    }
                    return header
                }
            } catch is SegmentScanner.Stop {
                return  // not complete yet (or damaged: the writer's recovery decides, not a reader)
            }
            guard let header else { return }
            segment.recordBatch(header, at: position)
        }
    }
}
