import Logging
import Synchronization

/// One open stream: its metadata, a writer per shard, and the routing table of open shards.
///
/// In a read-only store the stream has no writers: its shards are ``ReadOnlyShard``s and its
/// metadata is re-read from disk (``refreshFromDisk()``) to follow the writer's reshards.
final class StreamHandle: Sendable {
    let path: String
    /// The stream's data keys, for its readers and writers.
    let keyRing: DataKeyRing
    private let configuration: StorageConfiguration
    private let logger: Logger
    private let state: Mutex<State>
    private let monitor: FileChangeMonitor?
    /// Where the shard writers sync under `FsyncPolicy.always` (one stage for the whole stream).
    private let syncStage: SyncStage

    private struct State: Sendable {
        var metadata: StreamMetadata
        var writers: [ShardID: ShardWriter]
        var sources: [ShardID: any ShardSource]
        /// Open shards sorted by range start, for binary-search routing.
        var routes: ShardRoutes
        /// Parents whose reshard is under way (not yet committed), so a second one is refused.
        var reshardingShards: Set<ShardID> = []
    }

    private init(
        path: String,
        metadata: StreamMetadata,
        keyRing: DataKeyRing,
        writers: [ShardID: ShardWriter],
        sources: [ShardID: any ShardSource],
        configuration: StorageConfiguration,
        logger: Logger,
        monitor: FileChangeMonitor?,
        syncStage: SyncStage
    ) {
        self.path = path
        self.syncStage = syncStage
        self.keyRing = keyRing
        self.configuration = configuration
        self.logger = logger
        self.monitor = monitor
        self.state = Mutex(
            State(metadata: metadata, writers: writers, sources: sources, routes: ShardRoutes(metadata))
        )
    }

    /// Opens a stream for reading only, in a process that does not hold the write lock.
    static func openReadOnly(
        path: String,
        metadata: StreamMetadata,
        masterKeys: MasterKeySource,
        configuration: StorageConfiguration,
        logger: Logger,
        monitor: FileChangeMonitor
    ) -> StreamHandle {
        let metaPath = path + "/stream.meta"
        let keyRing = DataKeyRing(metadata: metadata, masterKeys: masterKeys) {
            try StreamMetadata.decode(FileSystem.readFile(metaPath), path: metaPath).encryption
        }
        let handle = StreamHandle(
            path: path,
            metadata: metadata,
            keyRing: keyRing,
            writers: [:],
            sources: [:],
            configuration: configuration,
            logger: logger,
            monitor: monitor,
            syncStage: SyncStage(label: metadata.name)
        )
        handle.addReadOnlyShards(metadata)
        return handle
    }

    private func addReadOnlyShards(_ metadata: StreamMetadata) {
        state.withLock { state in
            for shard in metadata.shards where state.sources[shard.id] == nil {
                let source = ReadOnlyShard(
                    shard: shard.id,
                    directory: path + "/shards/" + shard.id.description,
                    configuration: configuration
                )
                monitor?.watch(source.directory, signal: source.changes)
                monitor?.watch(path, signal: source.changes)  // stream.meta replaced: a reshard
                state.sources[shard.id] = source
            }
        }
    }

    /// Re-reads `stream.meta` (read-only stores): picks up reshards and new shards.
    func refreshFromDisk() throws {
        let metaPath = path + "/stream.meta"
        let metadata = try StreamMetadata.decode(FileSystem.readFile(metaPath), path: metaPath)
        guard metadata.generation != currentMetadata.generation else { return }
        addReadOnlyShards(metadata)
        state.withLock { state in
            state.metadata = metadata
            state.routes = ShardRoutes(metadata)
        }
        keyRing.update(metadata.encryption)
    }

    static func open(
        path: String,
        metadata: StreamMetadata,
        masterKeys: MasterKeySource,
        configuration: StorageConfiguration,
        logger: Logger,
        notes: inout [ShardLog.RecoveryNote]
    ) throws -> StreamHandle {
        let keyRing = DataKeyRing(metadata: metadata, masterKeys: masterKeys)
        // Shard directories the metadata does not know come from a reshard that crashed before
        // its commit; they hold no acknowledged data.
        let known = Set(metadata.shards.map { $0.id.description })
        try FileSystem.createDirectory(path + "/shards")
        for name in try FileSystem.contents(of: path + "/shards") where !known.contains(name) {
            try FileSystem.removeTree(path + "/shards/" + name)
        }
        var writers: [ShardID: ShardWriter] = [:]
        let syncStage = SyncStage(label: metadata.name)
        for shard in metadata.shards {
            let log = try ShardLog.open(
                directory: path + "/shards/" + shard.id.description,
                stream: StreamName(rawValue: metadata.name)!,
                shard: shard.id,
                streamID: metadata.streamIDBytes,
                baseSequence: shard.baseSequence,
                configuration: configuration,
                logger: logger,
                notes: &notes
            )
            if let end = shard.endSequence {
                guard log.bounds.next == end else {
                    throw StreamQStorageError.corrupt(
                        log.directory,
                        offset: 0,
                        "closed shard should end before sequence \(end) but its log ends before \(log.bounds.next)"
                    )
                }
                try log.close()
            }
            log.setWriteEncryption(writeEncryption(metadata, keyRing: keyRing))
            writers[shard.id] = ShardWriter(log: log, policy: configuration.fsyncPolicy, syncStage: syncStage)
        }
        return StreamHandle(
            path: path,
            metadata: metadata,
            keyRing: keyRing,
            writers: writers,
            sources: writers.mapValues { $0.log },
            configuration: configuration,
            logger: logger,
            monitor: nil,
            syncStage: syncStage
        )
    }

    /// How the stream's shard logs write under `metadata`: sealed with its active data key, if any.
    private static func writeEncryption(_ metadata: StreamMetadata, keyRing: DataKeyRing) -> ShardWriteEncryption {
        metadata.encryption?.activeDataKey.map { .on(index: $0, keyRing: keyRing, sealer: nil) } ?? .off
    }

    /// Generates a data key wrapped by `masterKey` and makes it the one new batches are sealed with
    /// (Kinesis's StartStreamEncryption; with `rotating`, a new data key under the current master
    /// key, refused unless the stream is encrypted with `masterKeyID`).
    func startDataKey(masterKeyID: String, masterKey: DataKey, now: Int64, rotating: Bool) async throws {
        try await changeEncryption { encryption in
            var state = encryption ?? StreamEncryptionState(masterKeyID: nil, activeDataKey: nil, dataKeys: [])
            if rotating, state.masterKeyID != masterKeyID {
                throw StreamQStorageError.invalid(
                    "stream '\(keyRing.streamName)' is not encrypted with '\(masterKeyID)'"
                )
            }
            let (key, wrapped) = try WrappedDataKey.generate(
                index: state.nextDataKeyIndex,
                streamID: keyRing.streamID,
                masterKeyID: masterKeyID,
                masterKey: masterKey.key,
                createdAt: now
            )
            keyRing.add(key, index: wrapped.index)
            state.masterKeyID = masterKeyID
            state.activeDataKey = wrapped.index
            state.dataKeys.append(wrapped)
            encryption = state
        }
    }

    /// Stops sealing new batches (Kinesis's StopStreamEncryption); data keys stay for old batches.
    func stopEncryption() async throws {
        try await changeEncryption { encryption in
            encryption?.masterKeyID = nil
            encryption?.activeDataKey = nil
        }
    }

    /// Changes how long records are kept; the next maintenance pass applies it.
    func setRetention(milliseconds: Int64) throws {
        try state.withLock { state in
            guard state.metadata.retentionMilliseconds != milliseconds else { return }
            var updated = state.metadata
            updated.retentionMilliseconds = milliseconds
            updated.generation += 1
            try FileSystem.writeAtomically(updated.encoded(), to: path + "/stream.meta")
            state.metadata = updated
        }
    }

    /// Applies `change` to the stream's encryption: the new metadata generation is written
    /// atomically first (no batch is ever sealed with a data key the metadata lacks), then each
    /// shard writer switches after the appends queued before it.
    private func changeEncryption(_ change: (inout StreamEncryptionState?) throws -> Void) async throws {
        let writers = try state.withLock { state -> [ShardWriter] in
            var updated = state.metadata
            try change(&updated.encryption)
            guard updated.encryption != state.metadata.encryption else { return [] }
            updated.generation += 1
            try FileSystem.writeAtomically(updated.encoded(), to: path + "/stream.meta")
            state.metadata = updated
            keyRing.update(updated.encryption)
            return Array(state.writers.values)
        }
        for writer in writers {
            try await writer.perform { [self] log in
                log.setWriteEncryption(Self.writeEncryption(currentMetadata, keyRing: keyRing))
            }
        }
        logger.info(
            "changed stream encryption",
            metadata: [
                "stream": "\(keyRing.streamName)", "keyID": "\(currentMetadata.encryption?.masterKeyID ?? "none")",
            ]
        )
    }

    var currentMetadata: StreamMetadata { state.withLock { $0.metadata } }
    var allWriters: [ShardWriter] { state.withLock { Array($0.writers.values) } }
    func metadata(_ shard: ShardID) -> ShardMetadata? { state.withLock { $0.metadata.shard(shard) } }

    /// Where reads of `shard` get their view.
    func source(_ shard: ShardID) throws -> any ShardSource {
        guard let source = state.withLock({ $0.sources[shard] }) else {
            throw StreamQStorageError(.shardNotFound, "stream '\(currentMetadata.name)' has no shard \(shard)")
        }
        return source
    }

    func writer(_ shard: ShardID) throws -> ShardWriter {
        guard let writer = state.withLock({ $0.writers[shard] }) else {
            throw StreamQStorageError(.shardNotFound, "stream '\(currentMetadata.name)' has no shard \(shard)")
        }
        return writer
    }

    func openShard(for key: HashKey) -> ShardID {
        state.withLock { $0.routes.shard(for: key) }
    }

    /// Splits the records at `indices` by the open shard owning each one's hash key, keeping their
    /// order: each shard's part as the records at `indices` in one open shard, or encoded (see
    /// ``ShardRun``); shards that get no record are left out.
    func route(_ records: [AppendRecord], indices: [Int], maxBatchBytes: Int) -> [(ShardWriter, ShardRun)] {
        let (routes, writers) = state.withLock { state in
            (state.routes, state.routes.shards.map { state.writers[$0]! })
        }
        if routes.count == 1 {  // no need to hash, nor to copy the records when they all go
            let run = indices.count == records.count ? records : indices.map { records[$0] }
            return [(writers[0], ShardRun(shard: routes.shards[0], indices: indices, records: run))]
        }
        // Explicit hash keys are not hashed; an empty key in their place costs one lane.
        let hashKeys = HashKey.forPartitionKeys(
            indices.lazy.map { records[$0].explicitHashKey == nil ? records[$0].partitionKey : "" }
        )
        let targets = indices.indices.map { position in
            routes.index(for: records[indices[position]].explicitHashKey ?? hashKeys[position])
        }
        var counts = [Int](repeating: 0, count: routes.count)
        var bytes = [Int](repeating: 0, count: routes.count)
        for (index, target) in zip(indices, targets) {
            counts[target] += 1
            bytes[target] += EncodedRecords.encodedLength(of: records[index])
        }
        var runs = routes.shards.indices.map { target in
            ShardRun(
                shard: routes.shards[target],
                reserving: counts[target],
                bytes: bytes[target],
                maxBatchBytes: maxBatchBytes
            )
        }
        for (index, target) in zip(indices, targets) { runs[target].append(records[index], at: index) }
        return zip(writers, runs).filter { !$0.1.indices.isEmpty }
    }

    /// Closes `parents` and opens children with the ranges `childRanges` computes from them.
    /// The new metadata generation, written atomically, is the commit point.
    func reshard(
        parents parentIDs: [ShardID],
        childRanges: ([ShardMetadata]) throws -> [HashKeyRange]
    ) async throws -> [ShardID] {
        let (parents, writers, firstChild) = try state.withLock { state in
            let parents = try parentIDs.map { id in
                guard let shard = state.metadata.shard(id) else {
                    throw StreamQStorageError(.shardNotFound, "stream '\(state.metadata.name)' has no shard \(id)")
                }
                guard shard.isOpen, !state.reshardingShards.contains(id) else {
                    throw StreamQStorageError(.shardClosed, "\(id) is closed or already being resharded")
                }
                return shard
            }
            _ = try childRanges(parents)
            state.reshardingShards.formUnion(parentIDs)
            let first = state.metadata.nextShardNumber
            state.metadata.nextShardNumber += 2  // reserved, never reused even if this reshard fails
            return (parents, parentIDs.map { state.writers[$0]! }, first)
        }
        defer { state.withLock { $0.reshardingShards.subtract(parentIDs) } }
        let ranges = try childRanges(parents)

        do {
            return try await commitReshard(parents, writers: writers, into: ranges, firstChild: firstChild)
        } catch {
            // Not committed (the shard map on disk is still the old one): the parents take writes
            // again, and the children's files go (reopening would remove them too).
            let metaPath = path + "/stream.meta"
            let onDisk = try? StreamMetadata.decode(FileSystem.readFile(metaPath), path: metaPath)
            if onDisk?.generation == currentMetadata.generation {
                for writer in writers { try? await writer.perform { $0.reopenAfterFailedReshard() } }
                for offset in ranges.indices {
                    try? FileSystem.removeTree(path + "/shards/" + ShardID(firstChild + UInt32(offset)).description)
                }
            }
            throw error
        }
    }

    /// Closes the parents, opens the children and commits the new shard map.
    private func commitReshard(
        _ parents: [ShardMetadata],
        writers: [ShardWriter],
        into ranges: [HashKeyRange],
        firstChild: UInt32
    ) async throws -> [ShardID] {
        let parentIDs = parents.map(\.id)
        // Stop the parents after everything already queued for them, and learn where they end.
        var ends: [UInt64] = []
        for writer in writers {
            ends.append(
                try await writer.perform { log in
                    try log.close()
                    return log.bounds.next
                }
            )
        }
        let base = ends.max()!
        let metadata = currentMetadata
        var children: [ShardMetadata] = []
        var childWriters: [ShardID: ShardWriter] = [:]
        for (offset, range) in ranges.enumerated() {
            let child = ShardMetadata(
                id: ShardID(firstChild + UInt32(offset)),
                range: range,
                parents: parentIDs,
                baseSequence: base
            )
            var notes: [ShardLog.RecoveryNote] = []
            let log = try ShardLog.open(
                directory: path + "/shards/" + child.id.description,
                stream: StreamName(rawValue: metadata.name)!,
                shard: child.id,
                streamID: metadata.streamIDBytes,
                baseSequence: base,
                configuration: configuration,
                logger: logger,
                notes: &notes
            )
            children.append(child)
            childWriters[child.id] = ShardWriter(log: log, policy: configuration.fsyncPolicy, syncStage: syncStage)
        }
        try state.withLock { state in
            var updated = state.metadata
            for (parent, end) in zip(parents, ends) {
                var closed = parent
                closed.endSequence = end
                closed.children = children.map(\.id)
                updated.update(closed)
            }
            for child in children { updated.update(child) }
            for writer in childWriters.values {  // not routed to yet: no append can be queued
                writer.log.setWriteEncryption(Self.writeEncryption(updated, keyRing: keyRing))
            }
            updated.generation += 1
            try FileSystem.writeAtomically(updated.encoded(), to: path + "/stream.meta")
            state.metadata = updated
            state.writers.merge(childWriters) { $1 }
            state.sources.merge(childWriters.mapValues { $0.log }) { $1 }
            state.routes = ShardRoutes(updated)
        }
        logger.info(
            "resharded stream",
            metadata: ["stream": "\(metadata.name)", "parents": "\(parentIDs)", "children": "\(children.map(\.id))"]
        )
        return children.map(\.id)
    }

    func describe() throws -> StreamDescription {
        let (metadata, sources) = state.withLock { ($0.metadata, $0.sources) }
        let shards = try metadata.shards.sorted { $0.id < $1.id }.map { shard in
            let snapshot = try sources[shard.id]!.snapshot()
            let bounds = snapshot.bounds
            let usage = snapshot.diskUsage
            return ShardDescription(
                id: shard.id,
                hashKeyRange: shard.range,
                parents: shard.parents,
                children: shard.children,
                isOpen: shard.isOpen,
                startingSequenceNumber: SequenceNumber(sequence: shard.baseSequence, shard: shard.id),
                endingSequenceNumber: shard.endSequence.flatMap { end in
                    end > shard.baseSequence ? SequenceNumber(sequence: end - 1, shard: shard.id) : nil
                },
                storedSequences: bounds.start..<bounds.next,
                bytesOnDisk: usage.bytes,
                segmentCount: usage.segments,
                newestArrivalMilliseconds: snapshot.newestArrival
            )
        }
        return StreamDescription(
            name: StreamName(rawValue: metadata.name)!,
            createdAtMilliseconds: metadata.createdAt,
            retention: .milliseconds(metadata.retentionMilliseconds),
            retentionBytes: metadata.retentionBytes,
            shards: shards,
            encryption: metadata.encryption?.masterKeyID.map { StreamEncryption(type: .kms, keyID: $0) } ?? .none
        )
    }
}
