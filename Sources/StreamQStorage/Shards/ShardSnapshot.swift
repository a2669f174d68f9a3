/// A consistent view of a shard for one read: its segments and how far readers may go.
///
/// Taken from the writer's published state in the writing process, or rebuilt from the files and
/// the shard's watermark in a read-only process; either way reads never look past `visibleNext`.
struct ShardSnapshot: Sendable {
    var segments: [Segment]
    /// Sequences below this are visible (durable under `FsyncPolicy.always`).
    var visibleNext: UInt64
    var configuration: StorageConfiguration

    var bounds: (start: UInt64, next: UInt64) { (segments[0].baseSequence, visibleNext) }

    /// Arrival time of the newest visible record, if any.
    var newestArrival: Int64? {
        segments.last(where: { !$0.isEmpty && $0.baseSequence < visibleNext })?.maxTimestamp
    }

    /// Bytes on disk across all segments, and the count of segment files.
    var diskUsage: (bytes: Int, segments: Int) {
        (segments.reduce(0) { $0 + $1.byteLength }, segments.count)
    }

    /// Raised when a segment in the snapshot was deleted by retention before it could be opened;
    /// the caller takes a new snapshot and reads again.
    struct SegmentDeleted: Error {}

    struct ReadProgress: Equatable {
        /// Where the next read should start.
        var nextSequence: UInt64
        var recordCount: Int
        /// Set when the requested start had been deleted by retention; reading began here instead.
        var trimmedTo: UInt64?
    }

    /// Calls `body` for visible records from `sequence` on, up to `maxRecords` records or about
    /// `maxBytes` of data (at least one record is returned when any is available).
    func read(
        from sequence: UInt64,
        maxRecords: Int,
        maxBytes: Int,
        decoder: BatchDecoder,
        _ body: (RecordView) throws -> Void
    ) throws -> ReadProgress {
        let snapshot = segments
        var start = sequence
        var trimmedTo: UInt64?
        if start < snapshot[0].baseSequence {
            start = snapshot[0].baseSequence
            trimmedTo = start
        }
        var progress = ReadProgress(nextSequence: start, recordCount: 0, trimmedTo: trimmedTo)
        var bytes = 0
        guard var segmentIndex = snapshot.lastIndex(where: { $0.baseSequence <= start }) else { return progress }
        while segmentIndex < snapshot.count, progress.recordCount < maxRecords, bytes < maxBytes,
            progress.nextSequence < visibleNext
        {
            let segment = snapshot[segmentIndex]
            segmentIndex += 1
            guard progress.nextSequence < segment.nextSequence else { continue }
            let file: FileHandle
            do {
                file = try FileHandle.openForReading(segment.path)
            } catch {
                // Deleted by retention since the snapshot was taken: read again from a new view,
                // or return what was read (the next read starts at the new trim horizon).
                guard !FileSystem.exists(segment.path) else { throw error }
                if progress.recordCount == 0 { throw SegmentDeleted() }
                return progress
            }
            let position = segment.index.position(forRelativeSequence: progress.nextSequence - segment.baseSequence)
            // A read takes a few compressed batches: a smaller buffer than the scanner's default
            // copies less past them (it grows for a batch that needs more).
            var scanner = SegmentScanner(
                file: file,
                from: position,
                limit: segment.byteLength,
                maxBatchLength: configuration.maxStoredBatchBytes,
                bufferSize: 256 << 10
            )
            var done = false
            while !done {
                let batchStart = scanner.position
                let batch: Bool? = try scanChecked(&scanner, segment: segment) { header, payload in
                    guard header.nextSequence > progress.nextSequence else { return true }
                    guard header.baseSequence < visibleNext else { return false }
                    let problem = try decoder.forEachRecord(header: header, payload: payload) { record in
                        guard record.sequence >= progress.nextSequence else { return true }
                        guard record.sequence < visibleNext else { return false }
                        try body(record)
                        progress.recordCount += 1
                        progress.nextSequence = record.sequence + 1
                        bytes += record.data.count + record.partitionKey.count
                        return progress.recordCount < maxRecords && bytes < maxBytes
                    }
                    if let problem {
                        throw StreamQStorageError.corrupt(segment.path, offset: batchStart, problem)
                    }
                    return progress.recordCount < maxRecords && bytes < maxBytes && progress.nextSequence < visibleNext
                }
                done = batch != true
            }
        }
        return progress
    }

    /// The first visible sequence whose arrival time is at or after `time` (the next sequence to be
    /// written if there is none).
    func firstSequence(atOrAfter time: Int64, decoder: BatchDecoder) throws -> UInt64 {
        let snapshot = segments
        guard
            let segment = snapshot.first(where: {
                !$0.isEmpty && $0.maxTimestamp >= time && $0.baseSequence < visibleNext
            })
        else { return visibleNext }
        let file = try FileHandle.openForReading(segment.path)
        var scanner = SegmentScanner(
            file: file,
            from: segment.index.position(forTimestamp: time),
            limit: segment.byteLength,
            maxBatchLength: configuration.maxStoredBatchBytes
        )
        var found: UInt64?
        while found == nil {
            let more: Bool? = try scanChecked(&scanner, segment: segment) { header, payload in
                guard header.maxTimestamp >= time else { return true }
                _ = try decoder.forEachRecord(header: header, payload: payload) { record in
                    if record.arrivalMilliseconds >= time { found = min(record.sequence, visibleNext) }
                    return found == nil
                }
                return found == nil
            }
            if more != true { break }
        }
        return found ?? min(segment.nextSequence, visibleNext)
    }

    /// Runs the scanner one batch, turning a framing failure inside published data into a
    /// corruption error with file and offset (published bytes were valid when written).
    private func scanChecked<R>(
        _ scanner: inout SegmentScanner,
        segment: Segment,
        _ body: (BatchHeader, UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        do {
            return try scanner.next(body)
        } catch SegmentScanner.Stop.invalid(let position, let reason, _) {
            throw StreamQStorageError.corrupt(segment.path, offset: position, reason)
        }
    }

}
