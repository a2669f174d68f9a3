import AsyncAlgorithms
import Logging
import Metrics
import ServiceLifecycle
import StreamQStorage
import Synchronization

/// Reads a stream's records across all its shards as an `AsyncSequence`, alone or as a member of a
/// consumer group.
///
/// Run the consumer (it is a `Service`: `run()` does the reading) and iterate ``records`` in
/// another task. Readers hand batches over one at a time, so a slow consumer holds back the
/// readers instead of growing memory (bounded prefetch: one batch per shard). A shard's children
/// are read only after all its parents have been read to their end, so per-key order holds across
/// splits and merges. In follow mode new records arrive as they become visible, by notification.
/// A group member hands a batch over only while its lease on the batch's shard surely lasts: one
/// stalled past its lease (or that gave the shard back) drops what it read, and the member holding
/// the shard now reads those records from the last checkpoint.
public final class StreamQConsumer: Service, Sendable {
    public let configuration: StreamQConsumerConfiguration
    private let backend: any StreamBackend
    private let coordinator: GroupCoordinator?
    private let channel = AsyncThrowingChannel<ShardBatch, any Error>()
    private let progress = Mutex(Progress())
    private let stopped = Atomic<Bool>(false)
    private let stopWaiters = Mutex<[UInt64: CheckedContinuation<Void, Never>]>([:])
    private let logger: Logger
    private let delivered: Counter

    /// - Parameters:
    ///   - groupsDirectory: where group state lives (``StreamQEngine`` passes the data directory's).
    public init(
        backend: any StreamBackend,
        configuration: StreamQConsumerConfiguration,
        groupsDirectory: String?,
        logger: Logger = Logger(label: "streamq.consumer")
    ) throws {
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
        self.delivered = Counter(
            label: "streamq_consumer_records_delivered_total",
            dimensions: [("stream", configuration.stream.rawValue)]
        )
        if let group = configuration.group {
            guard let groupsDirectory else {
                throw StreamQStorageError(.invalidArgument, "consumer groups need a groups directory")
            }
            coordinator = try GroupCoordinator(groupsDirectory: groupsDirectory, configuration: group)
        } else {
            coordinator = nil
        }
    }

    /// The records, in order per shard; ends when `run()` ends.
    public var records: ConsumerRecords { ConsumerRecords(channel: channel, consumer: self) }

    /// Reads until stopped (follow mode), or until every shard is read to its current end.
    public func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                // Reading races `stop()`: a stop cancels readers even while they wait to hand over
                // a batch nobody will take.
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        if self.coordinator != nil {
                            try await self.runGroupMember()
                        } else {
                            try await self.runAlone()
                        }
                    }
                    tasks.addTask { await self.waitUntilStopped() }
                    try await tasks.next()
                    tasks.cancelAll()
                }
            } onGracefulShutdown: {
                self.stop()
            }
            channel.finish()
        } catch {
            channel.fail(error)
            throw error
        }
    }

    /// Stops reading; `run()` commits (in a group) and returns.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        for waiter in stopWaiters.withLock({ waiters in
            defer { waiters = [:] }
            return Array(waiters.values)
        }) {
            waiter.resume()
        }
    }

    private func waitUntilStopped() async {
        let id = UInt64.random(in: 0...UInt64.max)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let already = stopWaiters.withLock { waiters -> Bool in
                    if stopped.load(ordering: .acquiring) || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if already { continuation.resume() }
            }
        } onCancel: {
            stopWaiters.withLock { $0.removeValue(forKey: id) }?.resume()
        }
    }

    /// Commits `record` and everything before it in its shard as processed (group members only).
    /// - Throws: `.leaseLost` if the shard was taken: another member holds it now, or nobody does.
    public func commit(_ record: StoredRecord) async throws {
        guard let coordinator else { throw StreamQStorageError(.invalidArgument, "commit needs a consumer group") }
        let shard = record.sequenceNumber.shard
        try coordinator.commit(
            shard: shard,
            checkpoint: GroupState.Checkpoint(
                sequence: record.sequenceNumber.sequence,
                arrival: record.arrivalMilliseconds
            ),
            ended: false
        )
        progress.withLock { $0.committed[shard] = max($0.committed[shard] ?? 0, record.sequenceNumber.sequence) }
    }

    // MARK: Progress

    struct Progress: Sendable {
        /// The last record handed over to the iterator, per shard.
        var delivered: [ShardID: UInt64] = [:]
        /// The last record the application moved past, per shard.
        var processed: [ShardID: GroupState.Checkpoint] = [:]
        var committed: [ShardID: UInt64] = [:]
        var processedSinceCommit = 0
        /// Closed shards read to their end: one past their last sequence.
        var ends: [ShardID: UInt64] = [:]
        /// Shards read to their end or (not following) to their current end.
        var finished: Set<ShardID> = []
        var readerFailure: (any Error)?
    }

    /// Called by the iterator before it hands `batch` over: false when the batch's shard went to
    /// another member meanwhile (it reads the records from the last checkpoint), or reading stopped.
    func admit(_ batch: ShardBatch) async -> Bool {
        if await batch.control.waitForLease(orStop: { self.stopped.load(ordering: .acquiring) }) {
            delivered.increment(by: batch.records.count)
            return true
        }
        let (shard, last) = (
            batch.records[0].sequenceNumber.shard, batch.records[batch.records.count - 1].sequenceNumber
        )
        progress.withLock { progress in
            if progress.delivered[shard] == last.sequence { progress.delivered[shard] = nil }
        }
        return false
    }

    /// Called by the iterator when the application asks for the record after `record`.
    func markProcessed(_ record: StoredRecord, count: Int) {
        progress.withLock { progress in
            progress.processed[record.sequenceNumber.shard] = GroupState.Checkpoint(
                sequence: record.sequenceNumber.sequence,
                arrival: record.arrivalMilliseconds
            )
            progress.processedSinceCommit += count
        }
    }

    // MARK: Reading one shard

    enum ShardOutcome: Sendable {
        /// A closed shard read to its end; its children may be read now.
        case ended(ShardID, end: UInt64, children: [ShardID])
        /// Read to its current end (not following).
        case caughtUp(ShardID)
        case stopped(ShardID)
    }

    /// What is checked before one shard's records are handed over: a flag, so a group member can
    /// stop reading a shard it lost or gave back, and how long the member's lease surely lasts.
    final class ReaderControl: Sendable {
        let stopped = Atomic<Bool>(false)
        /// Boot-clock milliseconds before which no other member can have taken the shard.
        let leaseValidUntil: Atomic<Int64>

        /// - Parameter leaseValidUntil: `Int64.max` when reading alone (no lease to lose).
        init(leaseValidUntil: Int64 = .max) {
            self.leaseValidUntil = Atomic(leaseValidUntil)
        }

        /// Waits while the lease may have run out, until a renewal extends it. False if the reader
        /// was stopped meanwhile (the shard is someone else's now and its records are theirs to
        /// read), if `consumerStopped` says so, or if the task is cancelled.
        func waitForLease(orStop consumerStopped: () -> Bool) async -> Bool {
            while GroupCoordinator.nowMilliseconds() >= leaseValidUntil.load(ordering: .acquiring) {
                if stopped.load(ordering: .acquiring) || consumerStopped() || Task.isCancelled { return false }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return !stopped.load(ordering: .acquiring)
        }
    }

    /// Records of one shard on their way to the application, with what says whether they may
    /// still be handed over.
    struct ShardBatch: Sendable {
        var records: [StoredRecord]
        var control: ReaderControl
    }

    private func readShard(
        _ shard: ShardID,
        from position: StartingPosition,
        control: ReaderControl
    ) async throws -> ShardOutcome {
        var cursor = try await backend.cursor(stream: configuration.stream, shard: shard, at: position)
        while !stopped.load(ordering: .acquiring) && !control.stopped.load(ordering: .acquiring) && !Task.isCancelled {
            let result = try await backend.read(cursor, maxRecords: configuration.maxRecordsPerRead, maxBytes: 8 << 20)
            if let last = result.records.last {
                // Counted before the handover, which the iterator refuses (and uncounts) if the
                // shard is lost meanwhile.
                progress.withLock { $0.delivered[shard] = last.sequenceNumber.sequence }
                await channel.send(ShardBatch(records: result.records, control: control))
            }
            guard let next = result.next else {
                return .ended(
                    shard,
                    end: result.records.last.map { $0.sequenceNumber.sequence + 1 } ?? cursor.sequence,
                    children: result.childShards
                )
            }
            cursor = next
            if result.records.isEmpty {
                guard configuration.follow else { return .caughtUp(shard) }
                _ = try await backend.waitForRecords(at: cursor, timeout: configuration.idleCheckInterval)
            }
        }
        return .stopped(shard)
    }

    // MARK: Alone

    private func runAlone() async throws {
        let description = try await backend.describeStream(configuration.stream)
        let byID = Dictionary(uniqueKeysWithValues: description.shards.map { ($0.id, $0) })
        var ended = Set<ShardID>()
        var started = Set<ShardID>()
        let initial: [ShardDescription]
        if configuration.startingPosition == .latest {
            initial = description.openShards  // history, including closed shards, is skipped
        } else {
            initial = description.shards.filter { $0.parents.allSatisfy { byID[$0] == nil } }
        }
        try await withThrowingTaskGroup(of: ShardOutcome.self) { readers in
            let control = ReaderControl()
            for shard in initial {
                started.insert(shard.id)
                readers.addTask {
                    try await self.readShard(shard.id, from: self.configuration.startingPosition, control: control)
                }
            }
            for try await outcome in readers {
                guard case .ended(let shard, _, let children) = outcome else { continue }
                ended.insert(shard)
                let current = try await backend.describeStream(configuration.stream)
                for child in children where !started.contains(child) {
                    let parents = current.shards.first { $0.id == child }?.parents ?? [shard]
                    guard parents.allSatisfy(ended.contains) else { continue }  // a merge waits for both
                    started.insert(child)
                    readers.addTask { try await self.readShard(child, from: .trimHorizon, control: control) }
                }
            }
        }
    }

    // MARK: In a group

    private func runGroupMember() async throws {
        guard let coordinator, let group = configuration.group else { return }
        var readers: [ShardID: ReaderControl] = [:]
        var nextRenew = ContinuousClock.now
        var lastCommit = ContinuousClock.now
        var firstRenew = true
        defer {  // however reading ends (even cancelled): commit what was processed, then leave
            _ = try? commitDue(force: true, coordinator)
            try? coordinator.leave()
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer {  // however the loop ends (a failure too): no reader goes on, or waits for a lease
                for control in readers.values { control.stopped.store(true, ordering: .releasing) }
            }
            while !stopped.load(ordering: .acquiring) && !Task.isCancelled {
                let (finished, failure) = progress.withLock { ($0.finished, $0.readerFailure) }
                if let failure { throw failure }
                let reading = readers.count
                for shard in readers.keys where finished.contains(shard) { readers.removeValue(forKey: shard) }
                if reading > 0 && readers.isEmpty { nextRenew = .now }  // all read: look for more (or finish) now
                if progress.withLock({ !$0.ends.isEmpty }), try recordEnds(coordinator) {
                    nextRenew = .now  // hand out the children
                }
                if ContinuousClock.now >= nextRenew {
                    nextRenew = .now + group.renewInterval
                    let description = try await backend.describeStream(configuration.stream)
                    var latest: [ShardID: UInt64]?
                    if firstRenew, configuration.startingPosition == .latest {
                        latest = Dictionary(
                            uniqueKeysWithValues: description.openShards.map { ($0.id, $0.storedSequences.upperBound) }
                        )
                    }
                    firstRenew = false
                    // Taken before renewing, so the lease surely lasts until then (the group file's
                    // expiry is counted from a later moment on the same clock).
                    let leaseValidUntil = GroupCoordinator.nowMilliseconds() + group.leaseDuration.milliseconds
                    let renewal = try coordinator.renew(
                        shards: description.shards,
                        latest: latest,
                        staleAfter: group.renewInterval * 3
                    )
                    let assignments = renewal.assignments
                    let held = Set(assignments.map(\.shard))
                    for (shard, control) in readers where !held.contains(shard) {
                        control.stopped.store(true, ordering: .releasing)  // lost, or given back to balance
                        readers.removeValue(forKey: shard)
                    }
                    for control in readers.values {
                        control.leaseValidUntil.store(leaseValidUntil, ordering: .releasing)
                    }
                    for assignment in assignments
                    where readers[assignment.shard] == nil && !finished.contains(assignment.shard) {
                        let control = ReaderControl(leaseValidUntil: leaseValidUntil)
                        readers[assignment.shard] = control
                        let position = startingPosition(for: assignment, in: description)
                        tasks.addTask { await self.readGroupShard(assignment.shard, from: position, control: control) }
                    }
                    if !configuration.follow && readers.isEmpty && held.isSubset(of: finished)
                        && renewal.awaitingExpiry == 0
                    {
                        break  // everything this member can read is read
                    }
                }
                let dueByTime = group.autoCommit.map { ContinuousClock.now - lastCommit >= $0.interval } ?? false
                if try commitDue(force: dueByTime, coordinator) || dueByTime { lastCommit = .now }
                try? await Task.sleep(for: .milliseconds(20))
            }
            for control in readers.values { control.stopped.store(true, ordering: .releasing) }
            try await tasks.waitForAll()
        }
        // Not stopped early: let the application take the last batches before the final commit.
        while !stopped.load(ordering: .acquiring) && !Task.isCancelled,
            progress.withLock({ p in p.delivered.contains { p.processed[$0.key]?.sequence != $0.value } })
        {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func startingPosition(
        for assignment: GroupCoordinator.Assignment,
        in description: StreamDescription
    ) -> StartingPosition {
        if let after = assignment.after {
            return .afterSequence(SequenceNumber(sequence: after, shard: assignment.shard))
        }
        if let start = assignment.start { return .atSequence(SequenceNumber(sequence: start, shard: assignment.shard)) }
        let hasParents = description.shards.first { $0.id == assignment.shard }?.parents.isEmpty == false
        return hasParents ? .trimHorizon : configuration.startingPosition  // children start where their parents ended
    }

    /// Reads one leased shard, recording how it ended for the group loop.
    private func readGroupShard(_ shard: ShardID, from position: StartingPosition, control: ReaderControl) async {
        do {
            switch try await readShard(shard, from: position, control: control) {
            case .ended(_, let end, _):
                progress.withLock {
                    $0.ends[shard] = end
                    $0.finished.insert(shard)
                }
            case .caughtUp: progress.withLock { _ = $0.finished.insert(shard) }
            case .stopped: break
            }
        } catch {
            progress.withLock { $0.readerFailure = error }
        }
    }

    /// Commits processed positions when auto-commit is on and due (or `force`d), and shard ends.
    /// Returns true if it wrote anything.
    private func commitDue(force: Bool, _ coordinator: GroupCoordinator) throws -> Bool {
        let autoCommit = configuration.group?.autoCommit
        let snapshot = progress.withLock { $0 }
        var wrote = false
        if let autoCommit, force || snapshot.processedSinceCommit >= autoCommit.records {
            for (shard, checkpoint) in snapshot.processed
            where snapshot.committed[shard].map({ $0 < checkpoint.sequence }) ?? true {
                do {
                    try coordinator.commit(shard: shard, checkpoint: checkpoint, ended: false)
                    progress.withLock { $0.committed[shard] = checkpoint.sequence }
                    wrote = true
                } catch let error as StreamQStorageError where error.code == .leaseLost {
                    logger.info("lease lost before commit; another member continues", metadata: ["shard": "\(shard)"])
                }
            }
            progress.withLock { $0.processedSinceCommit = 0 }
        }
        return try recordEnds(coordinator) || wrote
    }

    /// Records the end of every closed shard whose delivered records were all processed
    /// (auto-commit) or committed, which lets the group hand out its children.
    private func recordEnds(_ coordinator: GroupCoordinator) throws -> Bool {
        let autoCommit = configuration.group?.autoCommit
        var wrote = false
        for shard in progress.withLock({ Array($0.ends.keys) }) {
            let (delivered, done) = progress.withLock { progress in
                (
                    progress.delivered[shard],
                    autoCommit != nil ? progress.processed[shard]?.sequence : progress.committed[shard]
                )
            }
            if let delivered, (done ?? 0) < delivered || done == nil { continue }  // still being processed
            do {
                try coordinator.commit(shard: shard, checkpoint: progress.withLock { $0.processed[shard] }, ended: true)
                wrote = true
            } catch let error as StreamQStorageError where error.code == .leaseLost {
                logger.info("lease lost before the end of the shard was recorded", metadata: ["shard": "\(shard)"])
            }
            progress.withLock { _ = $0.ends.removeValue(forKey: shard) }
        }
        return wrote
    }
}

/// The records a ``StreamQConsumer`` delivers. A record counts as processed (for auto-commit) once
/// the next one is asked for.
public struct ConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = StoredRecord
    let channel: AsyncThrowingChannel<StreamQConsumer.ShardBatch, any Error>
    let consumer: StreamQConsumer

    public func makeAsyncIterator() -> Iterator {
        Iterator(batches: channel.makeAsyncIterator(), consumer: consumer)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var batches: AsyncThrowingChannel<StreamQConsumer.ShardBatch, any Error>.Iterator
        let consumer: StreamQConsumer
        var batch: [StoredRecord] = []
        var index = 0

        public mutating func next() async throws -> StoredRecord? {
            if index < batch.count {
                defer { index += 1 }
                return batch[index]
            }
            if let last = batch.last { consumer.markProcessed(last, count: batch.count) }
            batch = []
            index = 0
            while let next = try await batches.next() {
                guard await consumer.admit(next) else { continue }
                batch = next.records
                index = 1
                return batch[0]
            }
            return nil
        }
    }
}
