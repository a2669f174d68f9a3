import Logging
import StreamQClient
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// What wakes the shipper's loop.
enum ShipEvent: Sendable {
    case tick
    case stop
    /// Appends' outcomes wait in ``ShipSession/completions``.
    case completions
    /// A checkpoint write started by ``ShipSession/pump()`` or ``ShipSession/tick()`` is done.
    case checkpointWritten(version: UInt64, result: Result<Void, ShipError>)
}

/// One run of a shipper: the files it tails, their appends in flight and the checkpoint. Used by
/// one task only (the shipper's loop), so it needs no locks; acknowledgements come back as events.
final class ShipSession {
    let configuration: ShipConfiguration
    let backend: any StreamBackend
    /// The backend when it is a local store: appends then go to it already encoded.
    let localStore: StreamStore?
    let logger: Logger
    let events: AsyncStream<ShipEvent>.Continuation
    let completions: CompletionInbox
    let glob: PathGlob
    let recordScanner: RecordScanner
    let encoder: RecordEncoder
    let stateDirectory: StateDirectory
    let checkpointWriter: CheckpointWriter
    let metrics: ShipMetrics
    let instance: UInt64
    /// No checkpoint existed: files found now start at `--from`.
    let isFirstStart: Bool

    var active: [UInt64: TailedFile] = [:] {
        didSet { sortedActive = nil }
    }
    private var sortedActive: [TailedFile]?
    /// The open files in the order of their keys: the order files are read in.
    var activeInKeyOrder: [TailedFile] {
        if let sortedActive { return sortedActive }
        let sorted = active.values.sorted { $0.entry.key < $1.entry.key }
        sortedActive = sorted
        return sorted
    }
    /// Files not open now (closed after rotation, or not found yet after a restart).
    var dormant: [UInt64: FileCheckpoint] = [:]
    var routes: ShardRoutes
    /// Files a scan found and could not open, said once each.
    var unreadable: Set<String> = []
    var routesAreStale = false
    var inFlightBytes = 0
    var summary = ShipSummary()
    var checkpointIsDirty = false
    /// The version of the checkpoint being written, if one is; versions count up from 1.
    var checkpointWriting: UInt64?
    var checkpointVersion: UInt64 = 0
    var lastCheckpoint = ContinuousClock.now
    var lastScan = ContinuousClock.now
    /// Set by a stop request: reading stops and acknowledgements are awaited until then.
    var stopDeadline: ContinuousClock.Instant?
    /// Since when every append sent has failed (nil after an acknowledgement), and the last error.
    var failingSince: (since: ContinuousClock.Instant, error: String)?

    init(
        configuration: ShipConfiguration,
        backend: any StreamBackend,
        logger: Logger,
        events: AsyncStream<ShipEvent>.Continuation
    ) async throws {
        self.configuration = configuration
        self.backend = backend
        localStore = backend as? StreamStore
        self.logger = logger
        self.events = events
        completions = CompletionInbox(events: events)
        glob = PathGlob(patterns: configuration.paths, excludes: configuration.excludes)
        recordScanner = RecordScanner(
            lines: LineScanner(maxLineBytes: configuration.maxLineBytes),
            multiline: configuration.multiline
        )
        encoder = RecordEncoder(
            parser: configuration.parser,
            host: configuration.host,
            maxRecordBytes: configuration.maxRecordBytes
        )
        stateDirectory = try StateDirectory(configuration.stateDirectory)
        checkpointWriter = CheckpointWriter(path: stateDirectory.checkpointPath)
        metrics = ShipMetrics(stream: configuration.stream.rawValue, source: configuration.sourceName)
        let checkpoint = try ShipCheckpoint.load(stateDirectory.checkpointPath)
        isFirstStart = checkpoint == nil
        instance = checkpoint?.instance ?? UInt64.random(in: 1...UInt64.max)
        for entry in checkpoint?.files ?? [] { dormant[entry.key] = entry }
        routes = ShardRoutes(try await backend.describeStream(configuration.stream))
        try scan(initial: true)
        try resumeRenamedAway()
        try saveCheckpoint()
    }

    // MARK: The loop's steps

    /// Periodic work: routes after a reshard, resends after a backoff, growth and truncation of
    /// open files, new files, closing rotated ones, and the checkpoint.
    func tick() async throws {
        let now = ContinuousClock.now
        if routesAreStale {
            routes = ShardRoutes(try await backend.describeStream(configuration.stream))
            routesAreStale = false
        }
        for file in active.values {
            guard let retryAt = file.retryAt, retryAt <= now, !file.hasAppendsInFlight, !routesAreStale else {
                continue
            }
            file.retryAt = nil
            for index in file.appends.indices where file.appends[index].state == .failed {
                file.appends[index].state = .waiting
            }
        }
        try poll(now)
        if !configuration.once, now - lastScan >= configuration.scanInterval {
            try scan(initial: false)
            lastScan = now
        }
        closeFinishedFiles(now)
        if checkpointIsDirty, checkpointWriting == nil, now - lastCheckpoint >= configuration.checkpointInterval {
            startCheckpointWrite()
        }
        metrics.publish(summary, files: Array(active.values), inFlightBytes: inFlightBytes, now: now)
    }

    func requestStop() {
        if stopDeadline == nil { stopDeadline = .now + configuration.grace }
    }

    /// Sends every append that is ready (one the checkpoint on disk names), then cuts new lines into
    /// appends while the in-flight budget allows and records them in the checkpoint. Sending comes
    /// first so that the destination works on those while lines are read and encoded. The
    /// checkpoint is written beside the loop (see ``CheckpointWriter``); appends cut meanwhile wait
    /// for the next version, written once that one is done.
    func pump() throws {
        sendReady()
        if stopDeadline == nil { try readNewLines() } else { try flushHeldGroups() }
        // Appends are named by checkpoints in the order they are cut: any not named yet is last.
        if checkpointWriting == nil, active.values.contains(where: { $0.appends.last?.isPersisted == false }) {
            startCheckpointWrite()
        }
        sendReady()
    }

    /// Sends each file's appends that the checkpoint names, in order, up to its in-flight limit.
    private func sendReady() {
        for file in active.values where file.retryAt == nil && !routesAreStale {
            var inFlight = 0
            for index in file.appends.indices where file.appends[index].state == .inFlight { inFlight += 1 }
            for index in file.appends.indices where file.appends[index].state == .waiting {
                // Appends are named in the checkpoint in order: the first one not named ends the run.
                guard inFlight < configuration.maxInFlightAppendsPerFile, file.appends[index].isPersisted else { break }
                send(file, index)
                inFlight += 1
            }
        }
    }

    var isFinished: Bool {
        if let stopDeadline {
            return active.values.allSatisfy { $0.appends.isEmpty } || ContinuousClock.now >= stopDeadline
        }
        guard configuration.once else { return false }
        return active.values.allSatisfy { $0.appends.isEmpty && ($0.isDetached || $0.caughtUp) }
    }

    func finish() throws {
        // Files all shipped are closed unchanged: the next start need not open them (see ``scan(initial:)``).
        for file in active.values where file.appends.isEmpty && !file.isDetached && file.readOffset >= file.size {
            file.entry.closedUnchangedAt = file.modified
        }
        try saveCheckpoint()  // after any write still in flight
        let unacknowledged = active.values.reduce(0) { $0 + $1.appends.count }
        if unacknowledged > 0 {
            logger.warning(
                "stopped with appends unacknowledged; they are resent on the next start",
                metadata: ["appends": "\(unacknowledged)"]
            )
        }
    }

    // MARK: Reading and sending

    private func readNewLines() throws {
        let now = ContinuousClock.now
        for file in activeInKeyOrder {
            guard inFlightBytes < configuration.maxInFlightBytes else { return }
            guard let handle = file.file, file.retryAt == nil else { continue }
            let free = configuration.maxPendingAppendsPerFile - file.appends.count
            // Cut at every free slot: checkpoint writes do not wait for one another (one is written
            // at a time, naming every append cut meanwhile), so appends named already are sent as
            // acknowledgements come while the next are being named.
            guard free > 0 else { continue }
            let limit = min(file.size, file.limit ?? .max)
            let final = file.isGone && (configuration.once || now - file.lastChange >= configuration.rotateWait)
            let (appends, heldGroupEnd) = try nextAppends(
                of: file,
                in: handle,
                limit: limit,
                final: final,
                free: free,
                now
            )
            file.heldGroupEnd = heldGroupEnd
            file.caughtUp = appends.isEmpty
            guard !appends.isEmpty else { continue }
            guard try stillHolds(file.entry.fingerprint, handle) else {
                detach(file, now)
                continue
            }
            take(appends, of: file)
        }
    }

    /// The appends of `file`'s next lines, for at most `free` appends and the in-flight budget. The
    /// file is read as one ``LineWindow`` whose lines are cut on every core; with multiline, or a
    /// line longer than the window, through ``RecordScanner``.
    private func nextAppends(
        of file: TailedFile,
        in handle: LogFile,
        limit: Int,
        final: Bool,
        free: Int,
        _ now: ContinuousClock.Instant
    ) throws -> (appends: [EncodedAppend], heldGroupEnd: Int?) {
        guard file.readOffset < limit else { return ([], nil) }
        // A part per free append; a file's first read is one part, to learn the size of its records.
        let partBytes = self.partBytes(file)
        let maxBytes = min(
            (file.knowsRecordSize ? free : 1) * partBytes,
            file.fileBytes(forRecordBytes: configuration.maxInFlightBytes - inFlightBytes)
        )
        if configuration.multiline == nil {
            let window = try LineWindow(
                handle,
                from: file.readOffset,
                limit: limit,
                maxBytes: maxBytes,
                includeUnterminated: final,
                maxLineBytes: configuration.maxLineBytes
            )
            if !window.endsInsideALine {
                return (appendCutter(for: file).cut(window, bytesPerPart: partBytes), nil)
            }
        }
        let scan = try recordScanner.records(
            in: handle,
            from: file.readOffset,
            limit: limit,
            maxRecords: free * configuration.maxBatchRecords,
            maxBytes: maxBytes,
            includeUnterminated: final,
            flushingGroup: final || configuration.once || groupTimedOut(file, now)
        )
        return (appendCutter(for: file).cut(scan.records, bytesPerPart: partBytes), scan.heldGroupEnd)
    }

    /// Cuts `file`'s records into appends of at most `maxBatchRecords` records and `maxBatchBytes` bytes.
    func appendCutter(for file: TailedFile, limited: Bool = true) -> AppendCutter {
        AppendCutter(
            encoder: encoder,
            file: file.entry.path,
            partitionKey: file.partitionKey,
            store: localStore,
            maxRecords: limited ? configuration.maxBatchRecords : .max,
            maxBytes: limited ? configuration.maxBatchBytes : .max,
            recordBytesPerByte: file.recordBytesPerByte
        )
    }

    /// Bytes of `file` a core cuts at a time: one append's worth, with room for lines whose records
    /// are longer than the file's average.
    func partBytes(_ file: TailedFile) -> Int {
        max(
            4096,
            min(
                file.fileBytes(forRecordBytes: configuration.maxBatchBytes / 25 * 23),
                file.bytesForLines(configuration.maxBatchRecords / 25 * 23)
            )
        )
    }

    /// Queues `appends` (consecutive, cut from one read) as the file's next ones, while it has free
    /// slots; lines of the others are read again later.
    func take(_ appends: [EncodedAppend], of file: TailedFile) {
        for append in appends {
            guard file.appends.count < configuration.maxPendingAppendsPerFile else { return }
            let lines = append.records.count
            let intent = AppendIntent(
                sequence: file.entry.nextSequence,
                start: file.readOffset,
                end: append.end,
                lines: lines
            )
            file.appends.append(
                PendingAppend(
                    intent: intent,
                    records: append.records,
                    bytes: append.bytes,
                    parseErrors: append.parseErrors,
                    truncatedLines: append.truncatedLines,
                    isPersisted: false
                )
            )
            file.entry.nextSequence += 1
            file.noteRecordBytes(append.bytes, forFileBytes: intent.end - intent.start, lines: lines)
            file.readOffset = intent.end
            inFlightBytes += append.bytes
            summary.linesRead += lines
            summary.bytesRead += intent.end - intent.start
        }
    }

    /// The records of an append named in the checkpoint, read again from its file.
    func rebuild(_ intent: AppendIntent, of file: TailedFile, from handle: LogFile) throws -> PendingAppend {
        let lines = try recordScanner.records(
            in: handle,
            from: intent.start,
            limit: intent.end,
            maxRecords: .max,
            maxBytes: .max,
            includeUnterminated: true,
            flushingGroup: true
        ).records
        var cutter = appendCutter(for: file, limited: false)
        lines.forEachLine(in: lines.indices) { cutter.add($0, in: $1) }
        let rebuilt = cutter.finish().first
        let pending = PendingAppend(
            intent: intent,
            records: rebuilt?.records ?? AppendPayload(emptyFor: localStore),
            bytes: rebuilt?.bytes ?? 0,
            parseErrors: rebuilt?.parseErrors ?? 0,
            truncatedLines: rebuilt?.truncatedLines ?? 0,
            isPersisted: true
        )
        if lines.count != intent.lines {
            logger.warning(
                "a file changed under an unacknowledged append; its lines may be stored twice",
                metadata: ["file": "\(file.entry.path)", "offset": "\(intent.start)"]
            )
        }
        return pending
    }

    private func send(_ file: TailedFile, _ index: Int) {
        let append = file.appends[index]
        file.appends[index].state = .inFlight
        file.appends[index].sentAt = .now
        file.appends[index].attempts += 1
        summary.recordsSent += append.records.count
        if append.attempts > 0 { summary.recordsRetried += append.records.count }
        let key = file.entry.key
        let sequence = append.intent.sequence
        let completions = completions
        let shard = routes.shard(forPartitionKey: file.partitionKey, explicitHashKey: nil)
        let producer = FileProducer.stamp(key, sequence: sequence)
        let completion: @Sendable (Result<SequenceNumber, any Error>) -> Void = { result in
            completions.post(.init(key: key, sequence: sequence, result: result))
        }
        do {
            switch append.records {
            case .encoded(let records, let store):
                try store.enqueueAppend(
                    to: configuration.stream,
                    shard: shard,
                    encoded: records,
                    producer: producer,
                    completion: completion
                )
            case .records(let records):
                try backend.enqueueAppend(
                    to: configuration.stream,
                    shard: shard,
                    records,
                    producer: producer,
                    completion: completion
                )
            }
        } catch {
            completion(.failure(error))
        }
    }

    /// The outcomes of appends that arrived since the last call, in order.
    func completeArrived() throws {
        for arrived in completions.takeAll() {
            try complete(key: arrived.key, sequence: arrived.sequence, result: arrived.result)
        }
    }

    /// An append's outcome: acknowledged appends advance the file's offset in order; a failed one
    /// is resent (with what follows it) after a backoff, unless the stream refuses it for good.
    private func complete(key: UInt64, sequence: UInt64, result: Result<SequenceNumber, any Error>) throws {
        guard let file = active[key], let index = file.appends.firstIndex(where: { $0.intent.sequence == sequence })
        else { return }
        switch result {
        case .failure(let error) where (error as? StreamQStorageError)?.code == .duplicateSequence:
            // Resent after a restart and older than the shard's window: stored before (see
            // ``ShipConfiguration/maxPendingAppendsPerFile``).
            acknowledge(file, index)
        case .success:
            acknowledge(file, index)
        case .failure(let error):
            file.appends[index].state = .failed
            failingSince = (failingSince?.since ?? .now, "\(error)")
            let code = (error as? StreamQStorageError)?.code
            let followsFailure = file.appends[..<index].contains { $0.state == .failed }
            if code == .shardClosed {
                routesAreStale = true
            } else if Self.isPermanent(code, followsFailure: followsFailure) {
                throw ShipError(
                    "the stream refused lines of \(file.entry.path) from byte \(file.appends[index].intent.start): \(error)"
                )
            }
            if file.retryAt == nil {
                file.failedAttempts += 1
                let delay = Self.backoff(attempt: file.failedAttempts)
                file.retryAt = .now + delay
                logger.warning(
                    "append failed; resending",
                    metadata: ["file": "\(file.entry.path)", "error": "\(error)", "after": "\(delay)"]
                )
            }
        }
    }

    /// Acknowledged appends advance the file's offset, in order.
    private func acknowledge(_ file: TailedFile, _ index: Int) {
        file.appends[index].state = .acknowledged
        file.failedAttempts = 0
        failingSince = nil
        if let sentAt = file.appends[index].sentAt { metrics.recordPutLatency(.now - sentAt) }
        while let first = file.appends.first, first.state == .acknowledged {
            file.appends.removeFirst()
            file.entry.ackedOffset = first.intent.end
            inFlightBytes -= first.bytes
            summary.linesShipped += first.intent.lines
            summary.parseErrors += first.parseErrors
            summary.truncatedLines += first.truncatedLines
            checkpointIsDirty = true
        }
    }

    /// Errors that a resend cannot cure. `outOfOrderSequence` is expected only behind an
    /// append that failed (the store refuses to store past a gap).
    private static func isPermanent(_ code: StreamQStorageError.Code?, followsFailure: Bool) -> Bool {
        guard let code else { return false }
        if code == .outOfOrderSequence { return !followsFailure }
        return permanentErrors.contains(code)
    }

    private static let permanentErrors: Set<StreamQStorageError.Code> = [
        .streamNotFound, .recordTooLarge, .invalidArgument, .readOnly, .encryptionKeyUnavailable,
    ]

    /// Exponential backoff with full jitter: base 100 ms, cap 30 s.
    private static func backoff(attempt: Int) -> Duration {
        let ceiling = min(30_000, 100 << min(attempt - 1, 20))
        return .milliseconds(Int.random(in: ceiling / 2...ceiling))
    }

    // MARK: Checkpoint

    /// Writes the checkpoint now, after any version still being written, and returns once it is on disk.
    func saveCheckpoint() throws {
        let checkpoint = makeCheckpoint()
        try checkpointWriter.writeNow(checkpoint)
        for file in active.values {
            for index in file.appends.indices { file.appends[index].isPersisted = true }
        }
    }

    /// Starts writing the checkpoint beside the loop; ``checkpointWritten(version:result:)`` follows.
    func startCheckpointWrite() {
        checkpointVersion += 1
        let version = checkpointVersion
        let checkpoint = makeCheckpoint()
        for file in active.values {
            for index in file.appends.indices where !file.appends[index].isPersisted {
                file.appends[index].checkpointVersion = version
            }
        }
        checkpointWriting = version
        let events = events
        checkpointWriter.write(checkpoint) { result in
            events.yield(.checkpointWritten(version: version, result: result))
        }
    }

    /// A checkpoint write is done: the appends it names may be sent.
    func checkpointWritten(version: UInt64, result: Result<Void, ShipError>) throws {
        try result.get()
        if checkpointWriting == version { checkpointWriting = nil }
        for file in active.values {
            for index in file.appends.indices where file.appends[index].checkpointVersion == version {
                file.appends[index].isPersisted = true
            }
        }
    }

    /// The checkpoint as things stand: acknowledged offsets, and every append cut so far in doubt.
    private func makeCheckpoint() -> ShipCheckpoint {
        let now = Int64(time(nil))
        var files: [FileCheckpoint] = []
        for file in active.values {
            var entry = file.entry
            entry.inDoubt = file.appends.map(\.intent)
            entry.lastSeen = now
            files.append(entry)
        }
        let horizon = now - Int64(configuration.forgetAfter.components.seconds)
        dormant = dormant.filter { $0.value.lastSeen >= horizon }
        files.append(contentsOf: dormant.values)
        files.sort { $0.key < $1.key }
        checkpointIsDirty = false
        lastCheckpoint = .now
        return ShipCheckpoint(instance: instance, files: files)
    }
}
