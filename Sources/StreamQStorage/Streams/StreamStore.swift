import Dispatch
import Logging
import Metrics
import Synchronization

/// An open data directory: the streams in it, their shards, and every read and write.
///
/// One process at a time holds a data directory open for writing (see ``DataDirectoryLock``). All
/// methods are safe to call from any task. Close the store with ``close()`` to sync and release
/// the lock; a process that dies without closing loses nothing acknowledged under the default
/// fsync policy.
public final class StreamStore: Sendable {
    /// The data directory's path.
    public let directory: String
    public let configuration: StorageConfiguration
    /// Repairs made while opening (torn tails truncated), for the caller to report.
    public let recoveryNotes: [String]

    /// Whether this store may write (holds the lock) or only reads what a writer publishes.
    public let mode: AccessMode
    private let logger: Logger
    private let lock: DataDirectoryLock?
    private let monitor: FileChangeMonitor?
    private let streams: Mutex<[StreamName: StreamHandle]>
    private let masterKeys: MasterKeySource
    private let isClosed = Atomic<Bool>(false)
    private let recordsAppended: Counter

    private var streamsDirectory: String { directory + "/streams" }

    /// Where a stream keeps the state of its consumer groups (leases and checkpoints).
    package func groupsDirectory(of name: StreamName) -> String { streamsDirectory + "/" + name.rawValue + "/groups" }
    private var temporaryDirectory: String { directory + "/tmp" }

    /// How a store opens its data directory.
    public enum AccessMode: Sendable, Equatable {
        /// Holds the write lock (one process at a time); recovers shards; may write.
        case readWrite
        /// Takes no lock and changes nothing on disk; sees what the writing process (if any) has
        /// made visible, as it does. Any number of read-only stores may share a directory with
        /// one writer.
        case readOnly
    }

    /// Opens the data directory at `directory`. For writing (the default) it is created if needed,
    /// locked, and every shard is recovered.
    /// - Throws: `StreamQStorageError` with code `.locked` if another process holds it, `.corruption`
    ///   naming file and offset if stored data is damaged anywhere but a torn tail.
    public init(
        directory: String,
        configuration: StorageConfiguration = .init(),
        mode: AccessMode = .readWrite,
        logger: Logger = Logger(label: "streamq.storage")
    ) throws {
        try configuration.validate()
        self.directory = directory
        self.configuration = configuration
        self.mode = mode
        self.logger = logger
        self.recordsAppended = Counter(label: "streamq_records_appended_total")
        self.masterKeys = MasterKeySource(path: configuration.masterKeyFile, dataDirectory: directory)
        if mode == .readOnly {
            guard FileSystem.exists(directory + "/FORMAT") else {
                throw StreamQStorageError(.streamNotFound, "\(directory) is not a streamq data directory")
            }
            try Self.checkFormat(directory)
            self.lock = nil
            let monitor = FileChangeMonitor()
            self.monitor = monitor
            self.streams = Mutex([:])
            self.recoveryNotes = []
            try refreshStreams()
            return
        }
        self.monitor = nil
        try FileSystem.createDirectories(directory)
        self.lock = try DataDirectoryLock(directory: directory)
        try Self.checkFormat(directory)
        try FileSystem.removeTree(directory + "/tmp")
        try FileSystem.createDirectory(directory + "/tmp")
        try FileSystem.createDirectory(directory + "/streams")

        var handles: [StreamName: StreamHandle] = [:]
        var notes: [ShardLog.RecoveryNote] = []
        for name in try FileSystem.contents(of: directory + "/streams") {
            guard let streamName = StreamName(rawValue: name) else { continue }
            let path = directory + "/streams/" + name
            let metadata = try StreamMetadata.decode(
                FileSystem.readFile(path + "/stream.meta"),
                path: path + "/stream.meta"
            )
            handles[streamName] = try StreamHandle.open(
                path: path,
                metadata: metadata,
                masterKeys: masterKeys,
                configuration: configuration,
                logger: logger,
                notes: &notes
            )
        }
        self.streams = Mutex(handles)
        self.recoveryNotes = notes.map(\.description)
        for note in notes {
            // Zeros written ahead of the batches are what every crash of a writer leaves: no data lost.
            logger.log(level: note.onlyZeros ? .info : .warning, "recovered shard", metadata: ["repair": "\(note)"])
        }
        scheduleMaintenance()
    }

    private static func checkFormat(_ directory: String) throws {
        let path = directory + "/FORMAT"
        let expected = Array("streamq data directory\nformat 1\n".utf8)
        guard FileSystem.exists(path) else { return try FileSystem.writeAtomically(expected, to: path) }
        let found = try FileSystem.readFile(path)
        guard found == expected else {
            throw StreamQStorageError(
                .unsupportedFormat,
                "\(path) does not describe a streamq data directory of format 1"
            )
        }
    }

    /// Read-only stores: picks up streams created, deleted or resharded by the writer.
    private func refreshStreams() throws {
        guard mode == .readOnly, let monitor else { return }
        let names = Set(try FileSystem.contents(of: streamsDirectory).compactMap(StreamName.init(rawValue:)))
        let known = streams.withLock { $0 }
        var refreshed: [StreamName: StreamHandle] = [:]
        for name in names {
            let path = streamsDirectory + "/" + name.rawValue
            if let handle = known[name] {
                do {
                    try handle.refreshFromDisk()
                    refreshed[name] = handle
                } catch let error as StreamQStorageError where !FileSystem.exists(path + "/stream.meta") {
                    _ = error  // deleted while we looked
                }
                continue
            }
            guard let bytes = try? FileSystem.readFile(path + "/stream.meta") else { continue }
            let metadata = try StreamMetadata.decode(bytes, path: path + "/stream.meta")
            refreshed[name] = StreamHandle.openReadOnly(
                path: path,
                metadata: metadata,
                masterKeys: masterKeys,
                configuration: configuration,
                logger: logger,
                monitor: monitor
            )
        }
        streams.withLock { $0 = refreshed }
    }

    private func checkWritable() throws {
        try checkOpen()
        guard mode == .readWrite else {
            throw StreamQStorageError(.readOnly, "the store at \(directory) is open read-only")
        }
    }

    // MARK: Stream administration

    /// Creates a stream whose `shardCount` shards split the hash-key space evenly.
    /// - Parameters:
    ///   - retention: how long records are kept (by arrival time); 1 second to 365 days. Default 24 h.
    ///   - retentionBytes: optional cap on bytes per shard; the oldest sealed segments go first.
    ///   - keyID: a master key in the key file: the stream is encrypted from its first record.
    /// - Throws: `.encryptionKeyUnavailable` naming the key and the file when `keyID` cannot be had;
    ///   nothing is created then.
    public func createStream(
        _ name: StreamName,
        shardCount: Int,
        retention: Duration = .seconds(24 * 3600),
        retentionBytes: Int? = nil,
        encryptWith keyID: String? = nil
    ) throws {
        try checkWritable()
        guard (1...1024).contains(shardCount) else {
            throw StreamQStorageError.invalid("shard count must be 1 to 1024, got \(shardCount)")
        }
        guard retention >= .seconds(1), retention <= .seconds(365 * 24 * 3600) else {
            throw StreamQStorageError.invalid("retention must be between 1 second and 365 days")
        }
        if let retentionBytes, retentionBytes < 1 {
            throw StreamQStorageError.invalid("retention bytes must be positive")
        }
        var generator = SystemRandomNumberGenerator()
        let streamID = (0..<16).map { _ in String(format2hex: UInt8.random(in: 0...255, using: &generator)) }.joined()
        var metadata = StreamMetadata(
            name: name.rawValue,
            streamID: streamID,
            createdAt: configuration.clock.nowMilliseconds(),
            retentionMilliseconds: retention.milliseconds,
            retentionBytes: retentionBytes,
            generation: 1,
            nextShardNumber: UInt32(shardCount),
            shards: HashKeyRange.evenSplit(into: shardCount).enumerated().map { index, range in
                ShardMetadata(id: ShardID(UInt32(index)), range: range, parents: [], baseSequence: 0)
            }
        )
        var dataKey: DataKey?
        if let keyID {
            try MasterKeyFile.validateKeyName(keyID)
            let (key, wrapped) = try WrappedDataKey.generate(
                index: 0,
                streamID: metadata.streamIDBytes,
                masterKeyID: keyID,
                masterKey: masterKeys.key(keyID, for: name.rawValue).key,
                createdAt: metadata.createdAt
            )
            metadata.encryption = StreamEncryptionState(masterKeyID: keyID, activeDataKey: 0, dataKeys: [wrapped])
            dataKey = key
        }
        try streams.withLock { streams in
            guard streams[name] == nil else {
                throw StreamQStorageError(.streamExists, "stream '\(name)' already exists")
            }
            // Build it under tmp/ and rename into place: a crash leaves no half-made stream.
            let staging = temporaryDirectory + "/create-" + name.rawValue
            try FileSystem.removeTree(staging)
            try FileSystem.createDirectory(staging)
            try FileSystem.writeAtomically(metadata.encoded(), to: staging + "/stream.meta")
            let final = streamsDirectory + "/" + name.rawValue
            try FileSystem.rename(staging, to: final)
            try FileSystem.syncDirectory(streamsDirectory)
            var notes: [ShardLog.RecoveryNote] = []
            let handle = try StreamHandle.open(
                path: final,
                metadata: metadata,
                masterKeys: masterKeys,
                configuration: configuration,
                logger: logger,
                notes: &notes
            )
            if let dataKey { handle.keyRing.add(dataKey, index: 0) }
            streams[name] = handle
        }
        logger.info("created stream", metadata: ["stream": "\(name)", "shards": "\(shardCount)"])
    }

    /// Deletes a stream and all its data.
    public func deleteStream(_ name: StreamName) async throws {
        try checkWritable()
        let handle = try streams.withLock { streams in
            guard let handle = streams.removeValue(forKey: name) else { throw Self.notFound(name) }
            return handle
        }
        for writer in handle.allWriters { _ = try? await writer.perform { try $0.close() } }
        let graveyard = temporaryDirectory + "/delete-" + name.rawValue
        try FileSystem.removeTree(graveyard)
        try FileSystem.rename(handle.path, to: graveyard)
        try FileSystem.syncDirectory(streamsDirectory)
        try FileSystem.removeTree(graveyard)
        logger.info("deleted stream", metadata: ["stream": "\(name)"])
    }

    /// Encrypts the records written to the stream from now on (Kinesis's StartStreamEncryption)
    /// with a new data key wrapped by the master key `keyID`. Records written before stay as they
    /// are and stay readable; appends queued before the call keep the old setting.
    /// - Throws: `.encryptionKeyUnavailable` naming the stream, the key and the key file when the
    ///   key file lacks `keyID` or cannot be read.
    public func startEncryption(_ name: StreamName, keyID: String) async throws {
        try checkWritable()
        try MasterKeyFile.validateKeyName(keyID)
        try await startDataKey(in: handle(name), wrappedBy: keyID, rotating: false)
    }

    /// Stops encrypting the records written from now on (Kinesis's StopStreamEncryption).
    /// Encrypted records stay encrypted and readable: their data keys are kept.
    public func stopEncryption(_ name: StreamName) async throws {
        try checkWritable()
        try await handle(name).stopEncryption()
    }

    /// Starts a new data key, wrapped by the stream's current master key, for the records written
    /// from now on. Batches sealed with older data keys stay readable.
    /// - Throws: `.invalidArgument` when the stream is not encrypted.
    public func rotateDataKey(_ name: StreamName) async throws {
        try checkWritable()
        let stream = try handle(name)
        guard let keyID = stream.currentMetadata.encryption?.masterKeyID else {
            throw StreamQStorageError.invalid(
                "stream '\(name)' is not encrypted; start encryption before rotating its key"
            )
        }
        try await startDataKey(in: stream, wrappedBy: keyID, rotating: true)
    }

    /// A new data key for `stream`, wrapped by the master key `keyID`, used from the next append on.
    private func startDataKey(in stream: StreamHandle, wrappedBy keyID: String, rotating: Bool) async throws {
        try await stream.startDataKey(
            masterKeyID: keyID,
            masterKey: try stream.keyRing.masterKey(keyID),
            now: configuration.clock.nowMilliseconds(),
            rotating: rotating
        )
    }

    /// Changes how long a stream keeps records (Kinesis's Increase/DecreaseStreamRetentionPeriod);
    /// the next maintenance pass deletes what the new period no longer covers.
    public func setRetention(_ name: StreamName, _ retention: Duration) throws {
        try checkWritable()
        guard retention >= .seconds(1), retention <= .seconds(365 * 24 * 3600) else {
            throw StreamQStorageError.invalid("retention must be between 1 second and 365 days")
        }
        try handle(name).setRetention(milliseconds: retention.milliseconds)
    }

    /// The stream's attributes file: what a layer above storage keeps about a stream (the Kinesis
    /// server's tags, consumers and settings), deleted with the stream. Nil when never written.
    public func attributes(of name: StreamName) throws -> [UInt8]? {
        _ = try handle(name)
        let path = attributesPath(name)
        guard FileSystem.exists(path) else { return nil }
        return try FileSystem.readFile(path)
    }

    /// Replaces the stream's attributes file atomically.
    public func setAttributes(_ bytes: [UInt8], of name: StreamName) throws {
        try checkWritable()
        _ = try handle(name)
        try FileSystem.writeAtomically(bytes, to: attributesPath(name))
    }

    private func attributesPath(_ name: StreamName) -> String {
        streamsDirectory + "/" + name.rawValue + "/attributes.json"
    }

    /// Records in the data directory's lock file that this process serves the Kinesis API at
    /// `endpoint`, so another process trying to write here is told to go through it.
    public func announceEndpoint(_ endpoint: String) throws {
        try checkWritable()
        try lock?.announce(endpoint: endpoint)
    }

    /// The names of all streams, sorted.
    public func listStreams() throws -> [StreamName] {
        try refreshStreams()
        return streams.withLock { $0.keys.sorted() }
    }

    /// Shards with hash ranges, lineage, state and stored sequence range.
    public func describeStream(_ name: StreamName) throws -> StreamDescription {
        if mode == .readOnly { try refreshStreams() }
        return try handle(name).describe()
    }

    // MARK: Writes

    /// Appends records, routing each by the MD5 of its partition key (or its explicit hash key) to
    /// the open shard owning that key. Records for one shard are stored in the order given.
    /// Returns once every record is acknowledged under the fsync policy.
    /// - Returns: one result per record, in the order given.
    /// - Throws: `.invalidArgument` or `.recordTooLarge` before anything is written if any record
    ///   is invalid; otherwise the first shard's failure (records of other shards may be stored:
    ///   ``appendReportingEach(to:_:)`` tells which).
    public func append(to name: StreamName, _ records: [AppendRecord]) async throws -> [AppendResult] {
        try await appendReportingEach(to: name, records).map { try $0.get() }
    }

    /// Like ``append(to:_:)``, but a shard that fails fails only its own records: each record's
    /// result says where it was stored or why not (Kinesis PutRecords answers per entry, so a
    /// client retries only what really failed).
    /// - Throws: validation errors, before anything is written.
    public func appendReportingEach(
        to name: StreamName,
        _ records: [AppendRecord]
    ) async throws -> [Result<AppendResult, any Error>] {
        try checkWritable()
        try validate(records)
        let stream = try handle(name)
        var results = [Result<AppendResult, any Error>?](repeating: nil, count: records.count)
        var remaining = Array(records.indices)
        var attempts = 0
        while !remaining.isEmpty {
            let runs = stream.route(records, indices: remaining, maxBatchBytes: configuration.maxBatchBytes)
            remaining = []
            // Every shard's run is queued at once and one continuation waits for them all (no task
            // per shard): the appending caller wakes once.
            for (shard, indices, outcome) in await Self.appendAll(runs) {
                switch outcome {
                case .success(let base):
                    for (offset, index) in indices.enumerated() {
                        results[index] = .success(
                            AppendResult(
                                shard: shard,
                                sequenceNumber: SequenceNumber(sequence: base + UInt64(offset), shard: shard)
                            )
                        )
                    }
                case .failure(let error as StreamQStorageError) where error.code == .shardClosed:
                    remaining.append(contentsOf: indices)  // resharded under us: route again
                case .failure(let error):
                    for index in indices { results[index] = .failure(error) }
                }
            }
            remaining.sort()
            attempts += 1
            if !remaining.isEmpty {
                guard attempts < 1000 else {
                    let error = StreamQStorageError(.shardClosed, "stream '\(name)' kept resharding during the append")
                    for index in remaining { results[index] = .failure(error) }
                    break
                }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        let stored = results.reduce(0) { count, result in
            if case .success = result { return count + 1 }
            return count
        }
        recordsAppended.increment(by: stored)
        return results.map { $0! }
    }

    /// Queues each shard's run and returns, once all are done, each one's first sequence or failure.
    private static func appendAll(
        _ runs: [(ShardWriter, ShardRun)]
    ) async -> [(ShardID, [Int], Result<UInt64, any Error>)] {
        guard !runs.isEmpty else { return [] }
        let gathered = Mutex<(outcomes: [(ShardID, [Int], Result<UInt64, any Error>)], left: Int)>(([], runs.count))
        return await withCheckedContinuation { continuation in
            for (writer, run) in runs {
                let (shard, indices) = (run.shard, run.indices)
                writer.enqueue(ShardAppend(run.records, producer: nil)) { result in
                    let finished = gathered.withLock { state -> [(ShardID, [Int], Result<UInt64, any Error>)]? in
                        state.outcomes.append((shard, indices, result))
                        state.left -= 1
                        return state.left == 0 ? state.outcomes : nil
                    }
                    if let finished { continuation.resume(returning: finished) }
                }
            }
        }
    }

    /// Appends records to one shard as one run, optionally stamped by an idempotent producer: a
    /// retry of an append this shard already stored returns the original first sequence and
    /// stores nothing.
    /// - Returns: the sequence of the first record; the rest follow densely.
    /// - Throws: `.shardClosed` if a reshard closed the shard (route again), `.duplicateSequence` or
    ///   `.outOfOrderSequence` for stamps outside the deduplication window, validation errors.
    public func append(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp? = nil
    ) async throws -> SequenceNumber {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try enqueueAppend(to: name, shard: shard, records, producer: producer) { continuation.resume(with: $0) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Queues an append to one shard and returns at once; `completion` runs with the first
    /// sequence once the records are acknowledged under the fsync policy, or with the error.
    /// Appends queued by one caller to one shard are stored in the order queued, which lets a
    /// producer keep several appends in flight without reordering them.
    /// - Throws: validation errors, before anything is queued.
    public func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp? = nil,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        try checkWritable()
        try validate(records)
        if let producer, producer.producerID == 0 { throw StreamQStorageError.invalid("producer id 0 is reserved") }
        let counter = recordsAppended
        try handle(name).writer(shard).enqueue(records, producer: producer) { result in
            if case .success = result { counter.increment(by: records.count) }
            completion(result.map { SequenceNumber(sequence: $0, shard: shard) })
        }
    }

    /// Queues records already encoded together (see ``EncodedRecords``) as one append to one shard,
    /// stored as one batch, and returns at once; `completion` runs with the first record's sequence
    /// once they are acknowledged under the fsync policy. The bulk-ingest path: no per-record
    /// objects, and compression runs off the shard's writer thread. A `producer` stamp makes it
    /// idempotent, as for ``enqueueAppend(to:shard:_:producer:completion:)``.
    /// - Throws: validation errors (empty, a partition key outside 1 to 256 characters, data over
    ///   the record limit, more than one batch's worth of bytes) before anything is queued.
    public func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        encoded records: EncodedRecords,
        producer: ProducerStamp? = nil,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        try checkWritable()
        guard !records.isEmpty else { throw StreamQStorageError.invalid("an append needs at least one record") }
        if let producer, producer.producerID == 0 { throw StreamQStorageError.invalid("producer id 0 is reserved") }
        if let key = records.invalidKey {
            throw StreamQStorageError.invalid(
                "partition key must be 1 to 256 Unicode characters, got \(key.unicodeScalars.count)"
            )
        }
        guard records.largestData <= configuration.maxRecordBytes else {
            throw StreamQStorageError(
                .recordTooLarge,
                "record data is \(records.largestData) bytes; the limit is \(configuration.maxRecordBytes)"
            )
        }
        let limit = configuration.maxBatchBytes + configuration.maxRecordBytes
        guard records.byteCount <= limit else {
            throw StreamQStorageError.invalid(
                "\(records.byteCount) bytes of encoded records; one append takes at most \(limit)"
            )
        }
        try enqueue(
            ShardAppend(.encoded([records]), producer: producer),
            to: name,
            shard: shard,
            completion: completion
        )
    }

    /// Queues records encoded and compressed elsewhere, and checked (see ``CompressedBatch``), as
    /// one append to one shard, stored as the batch it is; otherwise as
    /// ``enqueueAppend(to:shard:encoded:producer:completion:)``.
    public func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        compressed batch: CompressedBatch,
        producer: ProducerStamp? = nil,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        try checkWritable()
        if let producer, producer.producerID == 0 { throw StreamQStorageError.invalid("producer id 0 is reserved") }
        let limit = configuration.maxBatchBytes + configuration.maxRecordBytes
        guard batch.rawLength <= limit else {
            throw StreamQStorageError.invalid(
                "\(batch.rawLength) bytes of encoded records; one append takes at most \(limit)"
            )
        }
        try enqueue(
            ShardAppend(compressed: batch.payload, producer: producer),
            to: name,
            shard: shard,
            completion: completion
        )
    }

    /// Queues `append` on its shard's writer, counting its records once acknowledged.
    private func enqueue(
        _ append: ShardAppend,
        to name: StreamName,
        shard: ShardID,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        let counter = recordsAppended
        let count = append.recordCount
        try handle(name).writer(shard).enqueue(append) { result in
            if case .success = result { counter.increment(by: count) }
            completion(result.map { SequenceNumber(sequence: $0, shard: shard) })
        }
    }

    /// The open shard of `stream` that owns `hashKey` now.
    public func shard(for hashKey: HashKey, in name: StreamName) throws -> ShardID {
        try handle(name).openShard(for: hashKey)
    }

    /// A durability barrier: every append acknowledged before the call is on stable storage after it,
    /// whatever the fsync policy.
    public func flush() async throws {
        for writer in streams.withLock({ $0.values.flatMap(\.allWriters) }) { try await writer.flush() }
    }

    /// Per shard: records, bytes on disk, compression, arrival times and the last minute's writes.
    public func statistics(_ name: StreamName) throws -> [ShardStatistics] {
        let description = try describeStream(name)
        let stream = try handle(name)
        let now = configuration.clock.nowMilliseconds()
        return try description.shards.map { shard in
            let decoder = BatchDecoder(opener: BatchOpener(keyRing: stream.keyRing, shard: shard.id))
            return try stream.source(shard.id).snapshot().statistics(
                shard: shard.id,
                isOpen: shard.isOpen,
                now: now,
                decoder: decoder
            )
        }
    }

    // MARK: Reads

    /// Resolves a starting position in a shard to a cursor (Kinesis's GetShardIterator).
    public func cursor(stream name: StreamName, shard: ShardID, at position: StartingPosition) throws -> ShardCursor {
        let snapshot = try handle(name).source(shard).snapshot()
        let bounds = snapshot.bounds
        let sequence: UInt64
        switch position {
        case .trimHorizon: sequence = bounds.start
        case .latest: sequence = bounds.next
        case .atSequence(let number), .afterSequence(let number):
            guard number.shard == shard else {
                throw StreamQStorageError.invalid("sequence number \(number) belongs to \(number.shard), not \(shard)")
            }
            guard number.sequence < bounds.next || (number.sequence == bounds.next && position == .atSequence(number))
            else {
                throw StreamQStorageError.invalid("sequence number \(number) has not been written to \(shard) yet")
            }
            if case .afterSequence = position { sequence = number.sequence + 1 } else { sequence = number.sequence }
        case .atTimestamp(let time):
            let opener = BatchOpener(keyRing: try handle(name).keyRing, shard: shard)
            sequence = try snapshot.firstSequence(atOrAfter: time, decoder: BatchDecoder(opener: opener))
        }
        return ShardCursor(stream: name, shard: shard, sequence: sequence)
    }

    /// Reads up to `maxRecords` records (and about `maxBytes` of data) from a cursor
    /// (Kinesis's GetRecords). Under `FsyncPolicy.always` only durable records are returned.
    public func read(_ cursor: ShardCursor, maxRecords: Int = 10_000, maxBytes: Int = 10 << 20) throws -> ReadResult {
        var records: [StoredRecord] = []
        let scan = try scan(cursor, maxRecords: maxRecords, maxBytes: maxBytes) { view in
            records.append(view.materialize(shard: cursor.shard))
        }
        let newest = try handle(cursor.stream).source(cursor.shard).snapshot().newestArrival
        let behind = records.last.map { (newest ?? $0.arrivalMilliseconds) - $0.arrivalMilliseconds } ?? 0
        return ReadResult(
            records: records,
            next: scan.next,
            childShards: scan.childShards,
            trimmedTo: scan.trimmedTo,
            millisBehindLatest: behind
        )
    }

    /// Like ``read(_:maxRecords:maxBytes:)`` but lends each record to `body` without copying it:
    /// the fast path for engines that look at a few fields of many records.
    public func scan(
        _ cursor: ShardCursor,
        maxRecords: Int = 10_000,
        maxBytes: Int = 10 << 20,
        _ body: (RecordView) throws -> Void
    ) throws -> ScanResult {
        guard maxRecords > 0, maxBytes > 0 else { throw StreamQStorageError.invalid("read limits must be positive") }
        let stream = try handle(cursor.stream)
        let source = try stream.source(cursor.shard)
        let decoder = BatchDecoder(opener: BatchOpener(keyRing: stream.keyRing, shard: cursor.shard))
        var progress: ShardSnapshot.ReadProgress
        do {
            progress = try source.snapshot().read(
                from: cursor.sequence,
                maxRecords: maxRecords,
                maxBytes: maxBytes,
                decoder: decoder,
                body
            )
        } catch is ShardSnapshot.SegmentDeleted {  // retention removed it meanwhile: read the new view
            progress = try source.snapshot().read(
                from: cursor.sequence,
                maxRecords: maxRecords,
                maxBytes: maxBytes,
                decoder: decoder,
                body
            )
        }
        let (next, children) = Self.continuation(of: cursor, at: progress.nextSequence, in: stream)
        return ScanResult(
            recordCount: progress.recordCount,
            next: next,
            childShards: children,
            trimmedTo: progress.trimmedTo
        )
    }

    /// Where a read from `cursor` that stopped before `sequence` goes on: nil, with the shard's
    /// children, once a closed shard is read to its end.
    static func continuation(
        of cursor: ShardCursor,
        at sequence: UInt64,
        in stream: StreamHandle
    ) -> (next: ShardCursor?, children: [ShardID]) {
        if let shard = stream.metadata(cursor.shard), let end = shard.endSequence, sequence >= end {
            return (nil, shard.children)
        }
        return (ShardCursor(stream: cursor.stream, shard: cursor.shard, sequence: sequence), [])
    }

    /// Waits until the shard may have records at or after `cursor` (or has closed), up to `timeout`.
    /// Returns at once if it already has. Woken by the writer in this process, or through inotify
    /// when another process writes: no polling loop.
    /// - Returns: true if there is something new to read (records, or the end of a closed shard).
    @discardableResult
    public func waitForRecords(at cursor: ShardCursor, timeout: Duration) async throws -> Bool {
        let stream = try handle(cursor.stream)
        let source = try stream.source(cursor.shard)
        func ready() throws -> Bool {
            if mode == .readOnly { try stream.refreshFromDisk() }
            if stream.metadata(cursor.shard)?.endSequence.map({ cursor.sequence >= $0 }) == true { return true }
            return try source.snapshot().visibleNext > cursor.sequence
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let version = source.changes.version
            if try ready() { return true }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero, !Task.isCancelled else { return false }
            // Other changes (a segment file growing before its sync) wake us too: check again.
            await source.changes.wait(afterVersion: version, timeout: remaining)
        }
    }

    // MARK: Resharding

    /// Splits an open shard in two at `newStartingHashKey`: the first child owns the parent's keys
    /// below it, the second the rest. The parent closes; children continue its sequences.
    /// - Returns: the two child shards.
    @discardableResult
    public func splitShard(_ name: StreamName, shard: ShardID, newStartingHashKey: HashKey) async throws -> [ShardID] {
        try checkWritable()
        let stream = try handle(name)
        return try await stream.reshard(parents: [shard]) { parents in
            let range = parents[0].range
            guard newStartingHashKey > range.start, newStartingHashKey <= range.end else {
                throw StreamQStorageError.invalid(
                    "new starting hash key must be in \(range.start + 1)...\(range.end) for \(shard)"
                )
            }
            return [
                HashKeyRange(start: range.start, end: newStartingHashKey - 1),
                HashKeyRange(start: newStartingHashKey, end: range.end),
            ]
        }
    }

    /// Merges two open shards with adjacent hash ranges into one child.
    @discardableResult
    public func mergeShards(_ name: StreamName, shard: ShardID, adjacentShard: ShardID) async throws -> ShardID {
        try checkWritable()
        guard shard != adjacentShard else { throw StreamQStorageError.invalid("cannot merge \(shard) with itself") }
        let stream = try handle(name)
        return try await stream.reshard(parents: [shard, adjacentShard]) { parents in
            let ranges = parents.map(\.range).sorted { $0.start < $1.start }
            guard ranges[0].end != .max, ranges[0].end + 1 == ranges[1].start else {
                throw StreamQStorageError.invalid("\(shard) and \(adjacentShard) do not have adjacent hash key ranges")
            }
            return [HashKeyRange(start: ranges[0].start, end: ranges[1].end)]
        }[0]
    }

    // MARK: Maintenance and shutdown

    /// Seals segments older than `segmentMaxAge` and deletes what retention allows. Runs by itself
    /// every `maintenanceInterval`; callable directly.
    public func runMaintenance() async throws {
        let now = configuration.clock.nowMilliseconds()
        guard mode == .readWrite else { return }
        for stream in streams.withLock({ Array($0.values) }) {
            let metadata = stream.currentMetadata
            for writer in stream.allWriters {
                try await writer.perform { log in
                    try log.rollIfAged(now: now)
                    try log.applyRetention(
                        now: now,
                        maxAge: .milliseconds(metadata.retentionMilliseconds),
                        maxBytes: metadata.retentionBytes
                    )
                }
            }
        }
    }

    /// Runs `body` with this store, then closes it (see ``close()``), also when `body` throws: its
    /// error then wins over a failure to close.
    public func closing<T>(after body: (StreamStore) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await close()
            throw error
        }
        try await close()
        return result
    }

    /// Syncs every shard and releases the data directory. Further calls fail with `.closed`.
    /// - Throws: the first shard's failure (a failed shard cannot sync); every other shard is still
    ///   synced and the directory released, so it can be reopened.
    public func close() async throws {
        guard !isClosed.exchange(true, ordering: .acquiring) else { return }
        monitor?.stop()
        var firstFailure: (any Error)?
        for writer in streams.withLock({ $0.values.flatMap(\.allWriters) }) {
            do {
                try await writer.perform { try $0.close() }
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        lock?.release()
        if let firstFailure { throw firstFailure }
    }

    private func scheduleMaintenance() {
        guard mode == .readWrite else { return }
        let interval = configuration.maintenanceInterval
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(interval.milliseconds))) { [weak self] in
            guard let self, !self.isClosed.load(ordering: .acquiring) else { return }
            Task {
                do { try await self.runMaintenance() } catch {
                    self.logger.error("maintenance failed", metadata: ["error": "\(error)"])
                }
                self.scheduleMaintenance()
            }
        }
    }

    /// Checks every record before anything is written, naming the first bad one.
    private func validate(_ records: [AppendRecord]) throws {
        for (index, record) in records.enumerated() {
            do {
                try record.validate(maxDataBytes: configuration.maxRecordBytes)
            } catch {
                throw StreamQStorageError(error.code, "record \(index): \(error.message)")
            }
        }
    }

    private func checkOpen() throws {
        if isClosed.load(ordering: .acquiring) {
            throw StreamQStorageError(.closed, "the store at \(directory) is closed")
        }
    }

    func handle(_ name: StreamName) throws -> StreamHandle {
        if let handle = streams.withLock({ $0[name] }) { return handle }
        if mode == .readOnly {  // created by the writer since we last looked?
            try refreshStreams()
            if let handle = streams.withLock({ $0[name] }) { return handle }
        }
        throw Self.notFound(name)
    }

    private static func notFound(_ name: StreamName) -> StreamQStorageError {
        StreamQStorageError(.streamNotFound, "stream '\(name)' does not exist")
    }
}

extension String {
    init(format2hex byte: UInt8) {
        let digits = Array("0123456789abcdef".utf8)
        self.init(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }
}
