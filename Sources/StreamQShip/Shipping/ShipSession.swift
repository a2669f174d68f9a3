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
    case completed(key: UInt64, sequence: UInt64, result: Result<SequenceNumber, any Error>)
}

/// One run of a shipper: the files it tails, their appends in flight and the checkpoint. Used by
/// one task only (the shipper's loop), so it needs no locks; acknowledgements come back as events.
final class ShipSession {
    let configuration: ShipConfiguration
    let backend: any StreamBackend
    let logger: Logger
    let events: AsyncStream<ShipEvent>.Continuation
    let glob: PathGlob
    let recordScanner: RecordScanner
    let encoder: RecordEncoder
    let stateDirectory: StateDirectory
    let metrics: ShipMetrics
    let instance: UInt64
    /// No checkpoint existed: files found now start at `--from`.
    let isFirstStart: Bool

    var active: [UInt64: TailedFile] = [:]
    /// Files not open now (closed after rotation, or not found yet after a restart).
    var dormant: [UInt64: FileCheckpoint] = [:]
    var routes: ShardRoutes
    var routesAreStale = false
    var inFlightBytes = 0
    var summary = ShipSummary()
    var checkpointIsDirty = false
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
        self.logger = logger
        self.events = events
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
        if checkpointIsDirty, now - lastCheckpoint >= configuration.checkpointInterval { try saveCheckpoint() }
        metrics.publish(summary, files: Array(active.values), inFlightBytes: inFlightBytes, now: now)
    }

    func requestStop() {
        if stopDeadline == nil { stopDeadline = .now + configuration.grace }
    }

    /// Cuts new lines into appends while the in-flight budget allows, records them in the
    /// checkpoint, and sends every append that is ready.
    func pump() throws {
        if stopDeadline == nil { try readNewLines() } else { try flushHeldGroups() }
        if active.values.contains(where: { file in file.appends.contains { !$0.isPersisted } }) {
            try saveCheckpoint()  // lists every append, so none is sent before the checkpoint names it
        }
        for file in active.values where file.retryAt == nil && !routesAreStale {
            var inFlight = file.appends.count { $0.state == .inFlight }
            for index in file.appends.indices where file.appends[index].state == .waiting {
                guard inFlight < configuration.maxInFlightAppendsPerFile else { break }
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
        try saveCheckpoint()
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
        for file in active.values.sorted(by: { $0.entry.key < $1.entry.key }) {
            guard inFlightBytes < configuration.maxInFlightBytes else { return }
            guard let handle = file.file, file.retryAt == nil else { continue }
            let free = configuration.maxPendingAppendsPerFile - file.appends.count
            // Cut again once half the slots are free, not at every acknowledgement: each cut
            // writes the checkpoint.
            guard free > 0, file.appends.isEmpty || free * 2 >= configuration.maxPendingAppendsPerFile else {
                continue
            }
            let limit = min(file.size, file.limit ?? .max)
            let final = file.isGone && (configuration.once || now - file.lastChange >= configuration.rotateWait)
            let scan =
                try file.readOffset < limit
                ? recordScanner.records(
                    in: handle,
                    from: file.readOffset,
                    limit: limit,
                    maxRecords: free * configuration.maxBatchRecords,
                    maxBytes: min(free * configuration.maxBatchBytes, configuration.maxInFlightBytes - inFlightBytes),
                    includeUnterminated: final,
                    flushingGroup: final || configuration.once || groupTimedOut(file, now)
                ) : RecordScanner.Scan()
            let lines = scan.records
            file.heldGroupEnd = scan.heldGroupEnd
            file.caughtUp = lines.isEmpty
            guard !lines.isEmpty else { continue }
            guard try stillHolds(file.entry.fingerprint, handle) else {
                detach(file, now)
                continue
            }
            cutAppends(lines, of: file)
        }
    }

    /// Cuts `lines` into appends of at most `maxBatchRecords` records and `maxBatchBytes` bytes.
    func cutAppends(_ lines: [LogLine], of file: TailedFile) {
        var pending = PendingAppend(
            intent: AppendIntent(sequence: 0, start: lines[0].offset, end: lines[0].offset, lines: 0),
            records: [],
            bytes: 0,
            parseErrors: 0,
            truncatedLines: 0,
            isPersisted: false
        )
        func close() {
            pending.intent.sequence = file.entry.nextSequence
            pending.intent.lines = pending.records.count
            file.entry.nextSequence += 1
            file.appends.append(pending)
            file.readOffset = pending.intent.end
            inFlightBytes += pending.bytes
            pending.records = []
            pending.bytes = 0
            pending.parseErrors = 0
            pending.truncatedLines = 0
            pending.intent.start = pending.intent.end
        }
        for line in lines {
            let encoded = encoder.encode(line, file: file.entry.path)
            if !pending.records.isEmpty,
                pending.records.count >= configuration.maxBatchRecords
                    || pending.bytes + encoded.data.count > configuration.maxBatchBytes
            {
                close()
                if file.appends.count >= configuration.maxPendingAppendsPerFile { return }
            }
            pending.records.append(AppendRecord(partitionKey: file.partitionKey, data: encoded.data))
            pending.bytes += encoded.data.count
            pending.intent.end = line.end
            summary.linesRead += 1
            summary.bytesRead += line.end - line.offset
            if encoded.parseFailed { pending.parseErrors += 1 }
            if encoded.truncated { pending.truncatedLines += 1 }
        }
        if !pending.records.isEmpty { close() }
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
        var pending = PendingAppend(
            intent: intent,
            records: [],
            bytes: 0,
            parseErrors: 0,
            truncatedLines: 0,
            isPersisted: true
        )
        for line in lines {
            let encoded = encoder.encode(line, file: file.entry.path)
            pending.records.append(AppendRecord(partitionKey: file.partitionKey, data: encoded.data))
            pending.bytes += encoded.data.count
            if encoded.parseFailed { pending.parseErrors += 1 }
            if encoded.truncated { pending.truncatedLines += 1 }
        }
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
        let events = events
        let shard = routes.shard(forPartitionKey: file.partitionKey, explicitHashKey: nil)
        do {
            try backend.enqueueAppend(
                to: configuration.stream,
                shard: shard,
                append.records,
                producer: FileProducer.stamp(key, sequence: sequence)
            ) { result in
                events.yield(.completed(key: key, sequence: sequence, result: result))
            }
        } catch {
            events.yield(.completed(key: key, sequence: sequence, result: .failure(error)))
        }
    }

    /// An append's outcome: acknowledged appends advance the file's offset in order; a failed one
    /// is resent (with what follows it) after a backoff, unless the stream refuses it for good.
    func complete(key: UInt64, sequence: UInt64, result: Result<SequenceNumber, any Error>) throws {
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

    func saveCheckpoint() throws {
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
        try ShipCheckpoint(instance: instance, files: files).save(stateDirectory.checkpointPath)
        for file in active.values {
            for index in file.appends.indices { file.appends[index].isPersisted = true }
        }
        checkpointIsDirty = false
        lastCheckpoint = .now
    }
}
