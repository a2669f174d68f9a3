import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One shard's log on disk: its segment files, recovery on open, appends, reads and retention.
///
/// Writes are serialized by the shard's ``ShardWriter`` (one writer thread per shard assigns
/// sequences and file offsets); reads may run on any thread at any time and only ever see what has
/// been published: complete batches, and under `FsyncPolicy.always` only durable ones.
final class ShardLog: @unchecked Sendable {  // writer state is confined to the ShardWriter's queue
    let stream: StreamName
    let shard: ShardID
    let directory: String
    let configuration: StorageConfiguration
    private let streamID: [UInt8]
    private let logger: Logger

    /// What readers see, and the sticky failure both writer stages check.
    private let shared: Mutex<Shared>
    /// Wakes in-process followers when more records become visible or the shard closes.
    let changes = ChangeSignal()
    /// The `VISIBLE` watermark file that tells readers in other processes how far they may read.
    private let watermarkFile: FileHandle

    private struct Shared: Sendable {
        /// The segments as last published by the writer; may include batches not yet durable.
        var segments: [Segment]
        /// Readers see sequences below this: under `FsyncPolicy.always` only what is durable.
        var visibleNext: UInt64
        var failure: StreamQStorageError?
    }

    // Writer state: touched only on the writer queue (or before the log is shared).
    private var segments: [Segment]
    private var activeFile: FileHandle
    private var lastTimestamp: Int64
    private var unsynced = false
    private var closed = false
    private let encoder: BatchEncoder
    private var writeBuffer: [UInt8] = []
    private var deduplication: ProducerDeduplication
    private var writeEncryption = ShardWriteEncryption.off
    /// The active file's size: its complete batches, then zeros written ahead of them (see
    /// ``preparedChunk``). Batches end at the segment's `byteLength`, never here.
    private var preparedEnd: Int
    /// False once zeros could not be written ahead in the active file (a full disk, a file size
    /// limit): appends then go on without them until the next segment.
    private var preparesSpace = true

    private init(
        stream: StreamName,
        shard: ShardID,
        directory: String,
        streamID: [UInt8],
        configuration: StorageConfiguration,
        logger: Logger,
        segments: [Segment],
        activeFile: FileHandle,
        watermarkFile: FileHandle,
        deduplication: ProducerDeduplication
    ) {
        self.deduplication = deduplication
        self.stream = stream
        self.shard = shard
        self.directory = directory
        self.streamID = streamID
        self.configuration = configuration
        self.logger = logger
        self.segments = segments
        self.activeFile = activeFile
        self.watermarkFile = watermarkFile
        self.lastTimestamp = segments.map(\.maxTimestamp).max() ?? 0
        self.preparedEnd = segments[segments.count - 1].byteLength
        self.encoder = BatchEncoder(compression: configuration.compression)
        self.shared = Mutex(Shared(segments: segments, visibleNext: segments[segments.count - 1].nextSequence))
    }

    // MARK: Reads (any thread)

    /// The first sequence still stored and one past the last visible one.
    var bounds: (start: UInt64, next: UInt64) {
        shared.withLock { ($0.segments[0].baseSequence, $0.visibleNext) }
    }

    /// What a reader may see right now.
    func snapshot() -> ShardSnapshot {
        shared.withLock {
            ShardSnapshot(segments: $0.segments, visibleNext: $0.visibleNext, configuration: configuration)
        }
    }

    // MARK: Writes (writer queue only)

    /// Appends groups of records in order, as consecutive batches, without syncing.
    /// - Returns: the first sequence assigned to each group.
    func write(_ groups: [ShardAppend]) throws -> [Result<UInt64, StreamQStorageError>] {
        try checkNotFailed()
        guard !closed else { throw StreamQStorageError(.shardClosed, "\(shard) is closed") }
        let sealer = try writeEncryption.sealer(shard: shard)
        let recordCount = groups.reduce(0) { $0 + $1.recordCount }
        let now = configuration.clock.nowMilliseconds()
        try rollIfNeeded(now: now, adding: recordCount)
        if now < lastTimestamp {
            logger.debug("wall clock went backwards; arrival time held", metadata: ["shard": "\(shard)"])
        }
        let timestamp = max(now, lastTimestamp)

        writeBuffer.removeAll(keepingCapacity: true)
        var headers: [(BatchHeader, Int)] = []
        var next = segments[segments.count - 1].nextSequence
        var results: [Result<UInt64, StreamQStorageError>] = []
        results.reserveCapacity(groups.count)
        var stamp: ProducerStamp?
        var pendingDeduplication = deduplication
        func finishBatch() throws {
            guard encoder.pendingRecords > 0 else { return }
            let offset = writeBuffer.count
            let count = encoder.pendingRecords
            let header = try encoder.finish(
                baseSequence: next,
                timestamp: timestamp,
                producer: stamp,
                sealer: sealer,
                appendingTo: &writeBuffer
            )
            headers.append((header, offset))
            if let stamp { pendingDeduplication.record(stamp, base: next, count: UInt64(count)) }
            next += UInt64(count)
        }
        for group in groups {
            if group.producer != nil || stamp != nil {  // an idempotent append gets batches of its own
                try finishBatch()
                stamp = group.producer
            }
            if let producer = group.producer {
                do {
                    if case .duplicate(let base) = try pendingDeduplication.check(producer, count: group.recordCount) {
                        results.append(.success(base))
                        continue
                    }
                } catch let error as StreamQStorageError {
                    results.append(.failure(error))
                    continue
                }
            }
            if let payloads = group.compressed {  // compressed ahead: frame each payload as it is
                try finishBatch()
                results.append(.success(next))
                for payload in payloads {
                    let offset = writeBuffer.count
                    let header = try BatchEncoder.frame(
                        payload,
                        baseSequence: next,
                        timestamp: timestamp,
                        producer: stamp,
                        sealer: sealer,
                        appendingTo: &writeBuffer
                    )
                    headers.append((header, offset))
                    if let stamp { pendingDeduplication.record(stamp, base: next, count: UInt64(payload.recordCount)) }
                    next += UInt64(payload.recordCount)
                }
                continue
            }
            results.append(.success(next + UInt64(encoder.pendingRecords)))
            switch group.records {
            case .records(let records):
                for record in records {
                    encoder.add(record)
                    if encoder.pendingBytes >= configuration.maxBatchBytes { try finishBatch() }
                }
            case .encoded(let batches):
                for encoded in batches {
                    // Never past the batch size readers accept: start a new batch first if need be.
                    if encoder.pendingBytes + encoded.byteCount > configuration.maxBatchBytes { try finishBatch() }
                    encoder.add(encoded)
                    if encoder.pendingBytes >= configuration.maxBatchBytes { try finishBatch() }
                }
            }
        }
        try finishBatch()

        let fileOffset = segments[segments.count - 1].byteLength
        do {
            try activeFile.write(writeBuffer, at: fileOffset)
        } catch let error as StreamQStorageError {
            // Whatever part reached the file is cut off now, or as a torn tail on the next open.
            try? activeFile.truncate(to: fileOffset)
            preparedEnd = fileOffset
            throw fail(error, while: "appending \(recordCount) records")
        }
        if fileOffset + writeBuffer.count > preparedEnd { prepareSpace(after: fileOffset + writeBuffer.count) }
        for (header, offset) in headers {
            segments[segments.count - 1].recordBatch(header, at: fileOffset + offset)
        }
        lastTimestamp = timestamp
        unsynced = true
        deduplication = pendingDeduplication
        return results
    }

    /// Sets whether the batches written from now on are encrypted. Call on the writer queue
    /// (``ShardWriter/perform(_:)``) or before the log is shared, so appends queued earlier keep
    /// the old setting.
    func setWriteEncryption(_ encryption: ShardWriteEncryption) {
        writeEncryption = encryption
    }

    /// How far ahead of its batches the active file is extended with zeros, at a time. A sync
    /// that grows a file must also write the file system's metadata (on ext4 without a journal, the
    /// block bitmap, group descriptor and inode, each written and waited for in turn); batches
    /// written into zeros already there grow nothing, so most syncs write only their data. The zeros
    /// are made durable by the next sync, with the batches before them; after a crash they are a
    /// zero tail, which recovery cuts like any torn tail.
    private var preparedChunk: Int { min(1 << 20, configuration.segmentBytes) }

    private static let zeros = [UInt8](repeating: 0, count: 1 << 20)

    /// Writes zeros from `end`, where the batches now end, to the next multiple of
    /// ``preparedChunk`` after it. Only ever a help: where they cannot be written, they are cut
    /// again and the append, already written, stands.
    private func prepareSpace(after end: Int) {
        preparedEnd = end
        guard preparesSpace else { return }
        let chunk = preparedChunk
        let count = (end / chunk + 1) * chunk - end
        do {
            try Self.zeros.withUnsafeBytes { zeros in
                try activeFile.write(UnsafeRawBufferPointer(rebasing: zeros[..<count]), at: end)
            }
            preparedEnd = end + count
        } catch {
            try? activeFile.truncate(to: end)
            preparesSpace = false
            logger.debug("cannot write zeros ahead; appending without", metadata: ["error": "\(error)"])
        }
    }

    /// Cuts the zeros written ahead from the active file, durably: before the segment is sealed
    /// (an index names the file's exact length) and when the shard closes, so a file at rest ends
    /// with its last batch.
    private func releasePreparedSpace() throws {
        let end = segments[segments.count - 1].byteLength
        guard preparedEnd > end else { return }
        try activeFile.truncate(to: end)
        try activeFile.syncAll()
        preparedEnd = end
    }

    /// The file appends currently go to, for a sync stage that runs beside the writer.
    var activeFileHandle: FileHandle { activeFile }

    /// Makes everything written so far durable and visible. A failure is sticky: the shard refuses
    /// further writes, and the sync is never retried (a retried fsync can report success for data
    /// the kernel already dropped).
    func sync() throws {
        try checkNotFailed()
        if unsynced {
            do {
                try activeFile.sync()
                unsynced = false
            } catch let error as StreamQStorageError {
                throw fail(error, while: "syncing")
            }
        }
        publish(durable: true)
    }

    /// Where readers may read up to once everything written so far is visible.
    var writtenWatermark: ShardWatermark {
        let active = segments[segments.count - 1]
        return ShardWatermark(
            segmentBase: active.baseSequence,
            byteLength: UInt64(active.byteLength),
            next: active.nextSequence
        )
    }

    /// Syncs `file` (the active file when a group was written) and makes everything up to
    /// `watermark` visible. Runs on the writer's sync stage, concurrently with further writes.
    func syncCommitted(_ file: FileHandle, upTo watermark: ShardWatermark) throws {
        try checkNotFailed()
        do {
            try file.sync()
        } catch let error as StreamQStorageError {
            throw fail(error, while: "syncing")
        }
        makeVisible(watermark)
    }

    /// Advances what readers see (never backwards), here and in other processes.
    private func makeVisible(_ watermark: ShardWatermark) {
        let advanced = shared.withLock { state -> Bool in
            guard watermark.next > state.visibleNext || state.visibleNext == watermark.next else { return false }
            state.visibleNext = watermark.next
            // Best effort: a reader that cannot see the watermark only lags; the data is safe.
            try? watermarkFile.write(watermark.encoded(), at: 0)
            return true
        }
        if advanced { changes.notify() }
    }

    /// Publishes the writer's segment list to readers. With `durable`, everything written becomes
    /// visible; otherwise visibility waits for a sync.
    func publish(durable: Bool) {
        let current = segments
        shared.withLock { $0.segments = current }
        if durable { makeVisible(writtenWatermark) }
    }

    /// Syncs and stops accepting writes (the shard is being closed by a reshard or shutdown).
    func close() throws {
        try sync()
        do {
            try releasePreparedSpace()
        } catch let error as StreamQStorageError {
            throw fail(error, while: "closing")
        }
        closed = true
        changes.notify()
    }

    /// Takes writes again after a reshard closed the shard but failed before committing.
    func reopenAfterFailedReshard() {
        closed = false
    }

    private func checkNotFailed() throws {
        if let failure = shared.withLock({ $0.failure }) {
            throw StreamQStorageError(
                .shardFailed,
                "\(failure.message); the shard refuses writes until the store is reopened"
            )
        }
    }

    /// Makes the shard refuse further writes after `error` (only the first failure is kept) and
    /// returns it with the stream, the shard and what was being done, for the caller to throw.
    private func fail(_ error: StreamQStorageError, while action: String) -> StreamQStorageError {
        let described = StreamQStorageError(
            error.code,
            "stream '\(stream)' \(shard): \(action) failed: \(error.message)"
        )
        let first = shared.withLock { state in
            defer { if state.failure == nil { state.failure = described } }
            return state.failure == nil
        }
        if first {
            logger.error(
                "shard write failed; refusing writes until reopened",
                metadata: ["stream": "\(stream)", "shard": "\(shard)", "error": "\(described.message)"]
            )
        }
        return described
    }

    private func rollIfNeeded(now: Int64, adding recordCount: Int) throws {
        let active = segments[segments.count - 1]
        guard !active.isEmpty else { return }
        let tooBig = active.byteLength >= configuration.segmentBytes
        let tooOld = now - active.createdAt >= configuration.segmentMaxAge.milliseconds
        let sequenceOverflow = active.nextSequence - active.baseSequence + UInt64(recordCount) >= UInt64(UInt32.max)
        if tooBig || tooOld || sequenceOverflow { try roll() }
    }

    /// Seals the active segment (sync, write its index) and starts a new one. A failure is sticky
    /// like a failed write: the writer's view of its segments may no longer match the files, and
    /// reopening rebuilds it from them (an index or segment file left half-made is redone).
    func roll() throws {
        var active = segments[segments.count - 1]
        guard !active.isEmpty else { return }
        try sync()
        active.sealed = true
        do {
            try releasePreparedSpace()
            try FileSystem.writeAtomically(active.summary.encoded(), to: active.indexPath)
            segments[segments.count - 1] = active
            let (segment, file) = try Self.createSegment(
                in: directory,
                streamID: streamID,
                shard: shard,
                baseSequence: active.nextSequence,
                createdAt: configuration.clock.nowMilliseconds()
            )
            segments.append(segment)
            activeFile = file
            preparedEnd = segment.byteLength
            preparesSpace = true
        } catch let error as StreamQStorageError {
            throw fail(error, while: "starting a new segment after \(active.path)")
        }
        publish(durable: false)
    }

    /// Seals the active segment if it holds data and is older than `segmentMaxAge`.
    func rollIfAged(now: Int64) throws {
        let active = segments[segments.count - 1]
        if !active.isEmpty, now - active.createdAt >= configuration.segmentMaxAge.milliseconds, !closed {
            try roll()
        }
    }

    /// Deletes whole sealed segments older than `maxAge` (by their newest record) or beyond
    /// `maxBytes` in total, oldest first. The active segment is never deleted.
    /// - Returns: the number of segments deleted.
    @discardableResult
    func applyRetention(now: Int64, maxAge: Duration?, maxBytes: Int?) throws -> Int {
        var total = segments.reduce(0) { $0 + $1.byteLength }
        var doomed = 0
        while doomed < segments.count - 1 {
            let segment = segments[doomed]
            let expired = maxAge.map { segment.maxTimestamp < now - $0.milliseconds } ?? false
            let oversize = maxBytes.map { total > $0 } ?? false
            guard segment.sealed, expired || oversize else { break }
            total -= segment.byteLength
            doomed += 1
        }
        guard doomed > 0 else { return 0 }
        let removed = segments[0..<doomed]
        segments.removeFirst(doomed)
        publish(durable: false)  // readers stop seeing them before the files go
        for segment in removed {
            try FileSystem.remove(segment.indexPath)
            try FileSystem.remove(segment.path)
        }
        try FileSystem.syncDirectory(directory)
        logger.info(
            "retention deleted segments",
            metadata: ["shard": "\(shard)", "segments": "\(doomed)", "newStart": "\(segments[0].baseSequence)"]
        )
        return doomed
    }

    // MARK: Open and recovery

    /// What opening a shard repaired, for the caller to report.
    struct RecoveryNote: Sendable, CustomStringConvertible {
        var path: String
        var offset: Int
        var droppedBytes: Int
        var reason: String
        /// Whether the bytes cut were all zeros: space written ahead of the batches (see
        /// ``preparedChunk``), what any crash of a writer leaves; no data is lost.
        var onlyZeros = false
        var description: String {
            onlyZeros
                ? "cut \(droppedBytes) bytes of zeros after the last batch of \(path) at byte \(offset)"
                : "truncated torn tail of \(path) at byte \(offset) (\(droppedBytes) bytes: \(reason))"
        }
    }

    /// Opens a shard directory, creating its first segment at `baseSequence` if it has none, and
    /// recovers it: a torn tail of the last segment is truncated; any other damage is reported as a
    /// corruption error naming the file and byte offset, and nothing is deleted.
    static func open(
        directory: String,
        stream: StreamName,
        shard: ShardID,
        streamID: [UInt8],
        baseSequence: UInt64,
        configuration: StorageConfiguration,
        logger: Logger,
        notes: inout [RecoveryNote]
    ) throws -> ShardLog {
        try FileSystem.createDirectories(directory)
        var names = try FileSystem.contents(of: directory)
        for name in names where name.contains(".tmp-") { try FileSystem.remove(directory + "/" + name) }
        names = names.filter { !$0.contains(".tmp-") }
        let segmentNames = names.compactMap { name in Segment.baseSequence(fromFileName: name).map { ($0, name) } }
            .sorted { $0.0 < $1.0 }

        var segments: [Segment] = []
        var activeFile: FileHandle?
        for (position, (base, name)) in segmentNames.enumerated() {
            let path = directory + "/" + name
            let isLast = position == segmentNames.count - 1
            let file = try FileHandle.open(path, flags: isLast ? O_RDWR : O_RDONLY)
            let size = try file.size()
            let headerBytes = try file.read(count: min(size, SegmentHeader.size), at: 0)
            let header: SegmentHeader
            switch SegmentHeader.parse(headerBytes) {
            case .success(let value): header = value
            case .failure(let problem):
                if isLast && size <= SegmentHeader.size && !segments.isEmpty {
                    // Created but never completed: remove it and continue from the previous segment.
                    try FileSystem.remove(path)
                    notes.append(RecoveryNote(path: path, offset: 0, droppedBytes: size, reason: problem.reason))
                    continue
                }
                throw StreamQStorageError.corrupt(path, offset: 0, problem.reason)
            }
            guard header.streamID == streamID, header.shard == shard, header.baseSequence == base else {
                throw StreamQStorageError.corrupt(
                    path,
                    offset: 0,
                    "segment header names shard \(header.shard) base \(header.baseSequence), not this file's place"
                )
            }
            if let previous = segments.last, previous.nextSequence != base {
                throw StreamQStorageError.corrupt(
                    path,
                    offset: 0,
                    "sequence gap: previous segment ends before \(previous.nextSequence), this one starts at \(base)"
                )
            }
            var segment = Segment(
                baseSequence: base,
                path: path,
                createdAt: header.createdAt,
                nextSequence: base,
                byteLength: SegmentHeader.size,
                firstTimestamp: nil,
                maxTimestamp: 0,
                index: SegmentIndex(),
                sealed: !isLast
            )
            if !isLast, let summary = try? SealedSegmentSummary.parse(FileSystem.readFile(segment.indexPath)),
                summary.baseSequence == base, summary.byteLength == UInt64(size)
            {
                segment.nextSequence = summary.nextSequence
                segment.byteLength = size
                segment.firstTimestamp = summary.nextSequence > base ? summary.firstTimestamp : nil
                segment.maxTimestamp = summary.maxTimestamp
                segment.index = summary.index
            } else {
                // The active segment has no index; one beside it is left from a roll that failed
                // after writing it, and a reader would take the segment for sealed at that length.
                if isLast { try FileSystem.remove(segment.indexPath) }
                try scan(&segment, file: file, size: size, isLast: isLast, configuration: configuration, notes: &notes)
                if !isLast {  // rebuild the missing or stale index
                    try FileSystem.writeAtomically(segment.summary.encoded(), to: segment.indexPath)
                }
            }
            segments.append(segment)
            if isLast { activeFile = file }
        }
        if segments.isEmpty || activeFile == nil {
            let base = segments.last?.nextSequence ?? baseSequence
            let (segment, file) = try createSegment(
                in: directory,
                streamID: streamID,
                shard: shard,
                baseSequence: base,
                createdAt: configuration.clock.nowMilliseconds()
            )
            if !segments.isEmpty { segments[segments.count - 1].sealed = true }
            segments.append(segment)
            activeFile = file
        }
        let watermarkFile = try FileHandle.open(directory + "/" + ShardWatermark.fileName, flags: O_RDWR | O_CREAT)
        let log = ShardLog(
            stream: stream,
            shard: shard,
            directory: directory,
            streamID: streamID,
            configuration: configuration,
            logger: logger,
            segments: segments,
            activeFile: activeFile!,
            watermarkFile: watermarkFile,
            deduplication: try rebuildDeduplication(from: segments.suffix(2), configuration: configuration)
        )
        log.makeVisible(log.writtenWatermark)  // what survived recovery is what readers may see
        return log
    }

    /// Replays the batch headers of the newest segments: where a producer retrying after a crash
    /// will find its last appends.
    private static func rebuildDeduplication(
        from segments: ArraySlice<Segment>,
        configuration: StorageConfiguration
    ) throws -> ProducerDeduplication {
        var deduplication = ProducerDeduplication()
        for segment in segments where !segment.isEmpty {
            var scanner = SegmentScanner(
                file: try FileHandle.openForReading(segment.path),
                from: SegmentHeader.size,
                limit: segment.byteLength,
                maxBatchLength: configuration.maxStoredBatchBytes
            )
            while let header = try scanner.next({ header, _ in header }) { deduplication.replay(header) }
        }
        return deduplication
    }

    /// Checks every batch of a segment, filling in its index. Stops at the first invalid batch and
    /// decides: a torn tail of the last segment is truncated; anything followed by a valid batch, or
    /// in a sealed segment, is corruption.
    private static func scan(
        _ segment: inout Segment,
        file: FileHandle,
        size: Int,
        isLast: Bool,
        configuration: StorageConfiguration,
        notes: inout [RecoveryNote]
    ) throws {
        var scanner = SegmentScanner(
            file: file,
            from: SegmentHeader.size,
            limit: size,
            maxBatchLength: configuration.maxStoredBatchBytes
        )
        do {
            while true {
                let position = scanner.position
                let header: BatchHeader? = try scanner.next { header, payload in
                    guard header.baseSequence == segment.nextSequence else {
                        throw SegmentScanner.Stop.invalid(
                            position: position,
                            reason: "batch starts at sequence \(header.baseSequence), expected \(segment.nextSequence)",
                            extendsPastEnd: false
                        )
                    }
                    guard CRC32C.checksum(payload) == header.payloadCRC else {
                        throw SegmentScanner.Stop.invalid(
                            position: position,
                            reason: "payload checksum mismatch",
                            extendsPastEnd: false
                        )
                    }
                    return header
                }
                guard let header else { break }
                segment.recordBatch(header, at: position)
            }
        } catch SegmentScanner.Stop.invalid(let position, let reason, let extendsPastEnd) {
            var torn = extendsPastEnd
            let onlyZeros = try !torn && isZeroFilled(file, from: position, to: size)
            torn = torn || onlyZeros
            if !torn {
                torn = try !hasValidBatch(
                    file,
                    after: position,
                    size: size,
                    minimumSequence: segment.nextSequence,
                    configuration: configuration
                )
            }
            guard isLast, torn else {
                throw StreamQStorageError.corrupt(
                    segment.path,
                    offset: position,
                    "\(reason); valid data follows, so the segment is not repaired automatically"
                )
            }
            try file.truncate(to: position)
            try file.sync()
            notes.append(
                RecoveryNote(
                    path: segment.path,
                    offset: position,
                    droppedBytes: size - position,
                    reason: reason,
                    onlyZeros: onlyZeros
                )
            )
        }
    }

    private static func isZeroFilled(_ file: FileHandle, from start: Int, to end: Int) throws -> Bool {
        var position = start
        while position < end {
            let chunk = try file.read(count: min(1 << 20, end - position), at: position)
            if chunk.contains(where: { $0 != 0 }) { return false }
            position += chunk.count
            if chunk.isEmpty { break }
        }
        return true
    }

    /// Whether a plausible batch (magic, valid header CRC, a sequence not before `minimumSequence`)
    /// starts anywhere after `position`: the sign that damage is in the middle, not at the tail.
    private static func hasValidBatch(
        _ file: FileHandle,
        after position: Int,
        size: Int,
        minimumSequence: UInt64,
        configuration: StorageConfiguration
    ) throws -> Bool {
        let bytes = try file.read(count: size - position, at: position)
        guard bytes.count >= BatchHeader.size + 1 else { return false }
        return bytes.withUnsafeBytes { raw in
            for start in 1...(raw.count - BatchHeader.size) {
                guard raw[start + 8] == 0x53, raw[start + 9] == 0x51, raw[start + 10] == 0x42, raw[start + 11] == 0x31
                else { continue }
                let candidate = UnsafeRawBufferPointer(rebasing: raw[start..<(start + BatchHeader.size)])
                if case .success(let header) = BatchHeader.parse(
                    candidate,
                    maxBatchLength: configuration.maxStoredBatchBytes
                ),
                    header.baseSequence >= minimumSequence
                {
                    return true
                }
            }
            return false
        }
    }

    /// Creates a segment file with its header, durably (file and directory synced).
    private static func createSegment(
        in directory: String,
        streamID: [UInt8],
        shard: ShardID,
        baseSequence: UInt64,
        createdAt: Int64
    ) throws -> (Segment, FileHandle) {
        let path = directory + "/" + Segment.fileName(baseSequence: baseSequence)
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT | O_TRUNC)
        let header = SegmentHeader(streamID: streamID, shard: shard, baseSequence: baseSequence, createdAt: createdAt)
        try file.write(header.encoded(), at: 0)
        try file.sync()
        try FileSystem.syncDirectory(directory)
        let segment = Segment(
            baseSequence: baseSequence,
            path: path,
            createdAt: createdAt,
            nextSequence: baseSequence,
            byteLength: SegmentHeader.size,
            firstTimestamp: nil,
            maxTimestamp: 0,
            index: SegmentIndex(),
            sealed: false
        )
        return (segment, file)
    }
}
