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
        let (start, trimmedTo) = readStart(sequence)
        var progress = ReadProgress(nextSequence: start, recordCount: 0, trimmedTo: trimmedTo)
        var bytes = 0
        try forEachBatch(from: start) { segment, offset, header, payload in
            let problem = try decoder.forEachRecord(header: header, payload: payload) { record in
                guard record.sequence >= progress.nextSequence else { return true }
                guard record.sequence < visibleNext else { return false }
                try body(record)
                progress.recordCount += 1
                progress.nextSequence = record.sequence + 1
                bytes += record.data.count + record.partitionKey.count
                return progress.recordCount < maxRecords && bytes < maxBytes
            }
            if let problem { throw StreamQStorageError.corrupt(segment.path, offset: offset, problem) }
            return progress.recordCount < maxRecords && bytes < maxBytes
        }
        return progress
    }

    /// The whole batches that hold visible records from `sequence` on, up to `maxRecords` records
    /// or about `maxBytes` of data (counted by the batches' uncompressed lengths, in proportion to
    /// the records asked for: `recordBytes`), as stored; nil
    /// when the first of them is encrypted (a run stops before any later encrypted batch).
    func storedBatches(
        from sequence: UInt64,
        maxRecords: Int,
        maxBytes: Int
    ) throws -> (run: StoredBatchRun, trimmedTo: UInt64?, lastArrival: Int64, recordBytes: Int)? {
        let (start, trimmedTo) = readStart(sequence)
        var run = StoredBatchRun(bytes: [], firstSequence: start, endSequence: start)
        var bytes = 0
        var lastArrival: Int64 = 0
        try forEachBatch(from: start) { segment, offset, header, payload in
            guard !header.isEncrypted else { return false }
            guard CRC32C.checksum(payload) == header.payloadCRC else {
                throw StreamQStorageError.corrupt(segment.path, offset: offset, "payload checksum mismatch")
            }
            if run.bytes.isEmpty {  // room for the records asked for, at the first batch's bytes per record
                let perRecord = Int(header.batchLength) / Int(header.recordCount) + 1
                run.bytes.reserveCapacity(min(min(maxRecords, 10_000) * perRecord, 16 << 20) + Int(header.batchLength))
            }
            let headerAt = run.bytes.count
            run.bytes.append(contentsOf: repeatElement(0, count: BatchHeader.size))
            header.write(into: &run.bytes, at: headerAt)
            run.bytes.append(contentsOf: payload)
            let from = max(header.baseSequence, run.endSequence)
            run.endSequence = min(header.nextSequence, visibleNext, start + UInt64(maxRecords))
            // Arrival times never decrease within a shard: exact at a batch's end, a lower bound inside it.
            lastArrival = run.endSequence == header.nextSequence ? header.maxTimestamp : header.firstTimestamp
            bytes += Int(header.rawLength) * Int(run.endSequence - from) / Int(header.recordCount)
            return run.recordCount < maxRecords && bytes < maxBytes
        }
        return run.bytes.isEmpty ? nil : (run, trimmedTo, lastArrival, bytes)
    }

    /// Where a read from `sequence` begins: there, or at the oldest record when retention deleted
    /// it (which is then reported as `trimmedTo`).
    private func readStart(_ sequence: UInt64) -> (start: UInt64, trimmedTo: UInt64?) {
        sequence < segments[0].baseSequence ? (segments[0].baseSequence, segments[0].baseSequence) : (sequence, nil)
    }

    /// Passes `body` each batch that holds visible sequences from `start` on, in order, with its
    /// segment and the byte of the segment's file it starts at, until `body` returns false or the
    /// visible records end. A segment that retention deleted meanwhile ends the walk, or, before
    /// any batch was passed, throws ``SegmentDeleted`` (the caller reads a new snapshot).
    private func forEachBatch(
        from start: UInt64,
        _ body: (Segment, Int, BatchHeader, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let snapshot = segments
        var next = start
        var passedAny = false
        guard var segmentIndex = snapshot.lastIndex(where: { $0.baseSequence <= start }) else { return }
        while segmentIndex < snapshot.count, next < visibleNext {
            let segment = snapshot[segmentIndex]
            segmentIndex += 1
            guard next < segment.nextSequence else { continue }
            let file: FileHandle
            do {
                file = try FileHandle.openForReading(segment.path)
            } catch {
                guard !FileSystem.exists(segment.path) else { throw error }
                if !passedAny { throw SegmentDeleted() }
                return
            }
            // A read takes a few compressed batches: a smaller buffer than the scanner's default
            // copies less past them (it grows for a batch that needs more).
            var scanner = SegmentScanner(
                file: file,
                from: segment.index.position(forRelativeSequence: next - segment.baseSequence),
                limit: segment.byteLength,
                maxBatchLength: configuration.maxStoredBatchBytes,
                bufferSize: 256 << 10
            )
            while next < visibleNext {
                let batchStart = scanner.position
                let more: Bool? = try scanChecked(&scanner, segment: segment) { header, payload in
                    guard header.nextSequence > next else { return true }
                    guard header.baseSequence < visibleNext else { return false }
                    passedAny = true
                    guard try body(segment, batchStart, header, payload) else { return false }
                    next = header.nextSequence
                    return true
                }
                if more == false { return }
                if more == nil { break }
            }
        }
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
