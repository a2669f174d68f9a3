import Dispatch
import Logging
import Metrics
import StreamQStorage
import Synchronization

/// Sends records to streams in batches, per shard, keeping each partition key's order.
///
/// `send` routes a record to its shard, buffers it and returns at once with a ``SendHandle``;
/// a shard's batch goes out when it is full or `linger` after its first record, with up to
/// `maxInFlightPerShard` batches in flight whose order storage preserves. Buffered bytes are
/// bounded: when the bound is reached `send` suspends until acknowledgements free room; nothing
/// is dropped. Batches are stamped with the producer's id and a per-shard sequence, so a retry of
/// a batch whose acknowledgement was lost is not stored twice. When a reshard closes a shard, the
/// batches it refused and the records still buffered for it are routed again to its children,
/// before anything sent later, so per-key order survives splits and merges.
public final class StreamQProducer: Sendable {
    /// Random per producer instance; stamps its batches.
    public let id: UInt64
    private let backend: any StreamBackend
    private let configuration: StreamQProducerConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    private let acknowledged = Atomic<Int>(0)
    private let acknowledgedCounter = Counter(label: "streamq_producer_records_acknowledged_total")
    private let failedCounter = Counter(label: "streamq_producer_records_failed_total")

    /// Records acknowledged so far (stored under the store's fsync policy).
    public var acknowledgedRecords: Int { acknowledged.load(ordering: .relaxed) }

    public init(
        backend: any StreamBackend,
        configuration: StreamQProducerConfiguration = .init(),
        logger: Logger = Logger(label: "streamq.producer")
    ) {
        var generator = SystemRandomNumberGenerator()
        self.id = UInt64.random(in: 1...UInt64.max, using: &generator)
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: Sending

    /// Buffers `record` for its shard and returns at once, or suspends while the buffer is full.
    /// - Throws: if the producer is closed or the stream does not exist.
    public func send(_ record: ProducerRecord) async throws -> SendHandle {
        let size = record.data.count + record.partitionKey.utf8.count
        while true {
            let step = try state.withLock { state -> SendStep in
                let routes: ShardRoutes
                switch try readiness(of: record.stream, adding: size, state: state) {
                case .ready(let open): routes = open
                case .waitForRoom: return .waitForRoom
                case .waitForRoutes: return .waitForRoutes
                }
                let shard = routes.shard(forPartitionKey: record.partitionKey, explicitHashKey: record.explicitHashKey)
                let key = ShardKey(stream: record.stream, shard: shard)
                return .sent(enqueue(record.appendRecord, size: size, for: key, state: &state))
            }
            switch step {
            case .sent(let handle): return handle
            case .waitForRoom: await waitForRoom(size)
            case .waitForRoutes: try await loadRoutes(record.stream)
            }
        }
    }

    /// Sends and waits for the acknowledgement.
    public func sendAndWait(_ record: ProducerRecord) async throws -> AppendResult {
        try await send(record).acknowledgement()
    }

    /// Sends records in order; returns one handle per record.
    public func sendBatch(_ records: [ProducerRecord]) async throws -> [SendHandle] {
        var handles: [SendHandle] = []
        handles.reserveCapacity(records.count)
        for record in records { handles.append(try await send(record)) }
        return handles
    }

    /// Waits until everything sent so far is acknowledged or has failed for good.
    /// - Throws: ``ProducerFlushError`` when records failed since the last flush.
    public func flush() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                for key in Array(state.queues.keys) {
                    state.queues[key]!.urgent = true
                    dispatchReady(key, state: &state)
                }
                guard state.outstanding > 0 else { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        let failures = state.withLock { state in
            defer { state.failures = ProducerFlushError(failedCount: 0, firstErrors: []) }
            return state.failures
        }
        if failures.failedCount > 0 { throw failures }
    }

    /// Flushes and refuses further sends.
    public func close() async throws {
        defer { state.withLock { $0.closed = true } }
        try await flush()
    }

    // MARK: State

    private enum SendStep {
        case sent(SendHandle)
        case waitForRoom
        case waitForRoutes
    }

    private enum Readiness {
        case ready(ShardRoutes)
        case waitForRoom
        case waitForRoutes
    }

    struct ShardKey: Hashable, Sendable {
        var stream: StreamName
        var shard: ShardID
    }

    struct Batch: Sendable {
        var key: ShardKey
        var records: [AppendRecord]
        var targets: RecordTargets
        var bytes: Int
        var stamp: ProducerStamp?
        var attempt: Int
    }

    /// Records buffered for a shard, cut into batches as they arrive.
    struct PendingBatch: Sendable {
        var records: [AppendRecord] = []
        var targets = RecordTargets()
        var bytes = 0
        let promise = BatchPromise()
    }

    struct ShardQueue: Sendable {
        /// Full batches waiting for an in-flight slot, oldest first.
        var ready: [PendingBatch] = []
        /// The batch being filled.
        var filling = PendingBatch()
        var isEmpty: Bool { ready.isEmpty && filling.records.isEmpty }
        /// Everything buffered, in order.
        var bufferedRecords: (records: [AppendRecord], targets: RecordTargets, bytes: Int) {
            let all = ready + [filling]
            let targets = all.reduce(into: RecordTargets()) { $0.append(contentsOf: $1.targets) }
            return (all.flatMap(\.records), targets, all.reduce(0) { $0 + $1.bytes })
        }
        var inFlight = 0
        var nextStamp: UInt64 = 0
        var lingerArmed = false
        /// Send whatever is buffered without waiting for a full batch (linger expired, or flush).
        var urgent = false
        /// The shard was closed by a reshard: its refused batches wait here to be routed again.
        var closed = false
        var refused: [Batch] = []
        /// A retryable failure: resend these, in order, once nothing else is in flight.
        var retrying: [Batch] = []
        /// Resent batches still in flight; nothing new is sent until they are acknowledged, so a
        /// retried batch always lands within the store's deduplication window.
        var resentInFlight = 0
    }

    struct State: Sendable {
        var routes: [StreamName: ShardRoutes] = [:]
        var loadingRoutes: [StreamName: [CheckedContinuation<Bool, any Error>]] = [:]
        var rerouting: Set<StreamName> = []
        var queues: [ShardKey: ShardQueue] = [:]
        var bufferedBytes = 0
        var outstanding = 0
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var failures = ProducerFlushError(failedCount: 0, firstErrors: [])
        var closed = false
    }

    /// Whether `bytes` more for `stream` may be buffered now, and its open shards if so.
    private func readiness(of stream: StreamName, adding bytes: Int, state: State) throws -> Readiness {
        guard !state.closed else { throw StreamQStorageError(.closed, "the producer is closed") }
        if state.bufferedBytes > 0 && state.bufferedBytes + bytes > configuration.maxBufferedBytes {
            return .waitForRoom
        }
        guard !state.rerouting.contains(stream), let routes = state.routes[stream] else { return .waitForRoutes }
        return .ready(routes)
    }

    private func enqueue(_ record: AppendRecord, size: Int, for key: ShardKey, state: inout State) -> SendHandle {
        // Mutated in place through the dictionary: one hash, and the arrays stay uniquely
        // referenced (a copy out and back would copy them on every append).
        let (handle, armLinger, canDispatch) = Self.append(
            record,
            size: size,
            to: &state.queues[key, default: ShardQueue()],
            configuration: configuration
        )
        state.bufferedBytes += size
        state.outstanding += 1
        if armLinger {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(configuration.linger.milliseconds)))
            {
                self.state.withLock { state in
                    guard state.queues[key] != nil else { return }
                    state.queues[key]!.lingerArmed = false
                    if !state.queues[key]!.isEmpty { state.queues[key]!.urgent = true }
                    self.dispatchReady(key, state: &state)
                }
            }
        }
        if canDispatch { dispatchReady(key, state: &state) }
        return handle
    }

    private static func append(
        _ record: AppendRecord,
        size: Int,
        to queue: inout ShardQueue,
        configuration: StreamQProducerConfiguration
    ) -> (SendHandle, armLinger: Bool, canDispatch: Bool) {
        let index = queue.filling.records.count
        let handle = SendHandle(promise: queue.filling.promise, index: index)
        queue.filling.records.append(record)
        queue.filling.targets.append(handle.promise, index: index)
        queue.filling.bytes += size
        if queue.filling.records.count >= configuration.maxBatchRecords
            || queue.filling.bytes >= configuration.maxBatchBytes
        {
            queue.ready.append(queue.filling)
            queue.filling = PendingBatch()
        }
        let armLinger = !queue.lingerArmed
        queue.lingerArmed = true
        let canDispatch = queue.inFlight < configuration.maxInFlightPerShard && (!queue.ready.isEmpty || queue.urgent)
        return (handle, armLinger, canDispatch)
    }

    /// Sends the queue's full batches (or everything, when urgent) while in-flight slots are free.
    /// Runs under the lock, so batches reach storage in the order they were cut.
    private func dispatchReady(_ key: ShardKey, state: inout State) {
        guard var queue = state.queues.removeValue(forKey: key) else { return }
        while queue.inFlight < configuration.maxInFlightPerShard, !queue.closed, queue.retrying.isEmpty,
            queue.resentInFlight == 0
        {
            let pending: PendingBatch
            if !queue.ready.isEmpty {
                pending = queue.ready.removeFirst()
            } else if queue.urgent && !queue.filling.records.isEmpty {
                pending = queue.filling
                queue.filling = PendingBatch()
            } else {
                break
            }
            if queue.isEmpty { queue.urgent = false }
            let batch = Batch(
                key: key,
                records: pending.records,
                targets: pending.targets,
                bytes: pending.bytes,
                stamp: configuration.idempotent ? ProducerStamp(producerID: id, sequence: queue.nextStamp) : nil,
                attempt: 1
            )
            queue.nextStamp += 1
            queue.inFlight += 1
            submit(batch, queue: &queue, state: &state)
        }
        state.queues[key] = queue
    }

    private func submit(_ batch: Batch, queue: inout ShardQueue, state: inout State) {
        do {
            try backend.enqueueAppend(
                to: batch.key.stream,
                shard: batch.key.shard,
                batch.records,
                producer: batch.stamp
            ) {
                result in self.complete(batch, result)
            }
        } catch {
            queue.inFlight -= 1
            if batch.attempt > 1 { queue.resentInFlight -= 1 }
            fail(batch, error, state: &state)
        }
    }

    private func complete(_ batch: Batch, _ result: Result<SequenceNumber, any Error>) {
        var reroute = false
        var retryAfter: Duration?
        state.withLock { state in
            guard var queue = state.queues.removeValue(forKey: batch.key) else { return }
            queue.inFlight -= 1
            if batch.attempt > 1 { queue.resentInFlight -= 1 }
            switch result {
            case .success(let first):
                acknowledged.add(batch.records.count, ordering: .relaxed)
                acknowledgedCounter.increment(by: batch.records.count)
                batch.targets.resolveStored(first: first)
                release(batch, state: &state)
            case .failure(let error as StreamQStorageError) where error.code == .shardClosed:
                queue.closed = true
                queue.refused.append(batch)
            case .failure(let error) where Self.isRetryable(error) && batch.attempt < configuration.maxAttempts:
                var again = batch
                again.attempt += 1
                queue.retrying.append(again)
            case .failure(let error):
                fail(batch, error, state: &state)
            }
            if queue.closed && queue.inFlight == 0 && !state.rerouting.contains(batch.key.stream) {
                state.rerouting.insert(batch.key.stream)
                reroute = true
            }
            if !queue.retrying.isEmpty && queue.inFlight == 0 {
                retryAfter = backoff(attempt: queue.retrying[0].attempt)
            }
            state.queues[batch.key] = queue
            dispatchReady(batch.key, state: &state)
        }
        if reroute {
            Task { await self.reroute(batch.key.stream) }  // rare: after a reshard
        }
        if let retryAfter {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(retryAfter.milliseconds))) {
                self.resendRetries(batch.key)
            }
        }
    }

    private func resendRetries(_ key: ShardKey) {
        state.withLock { state in
            guard var queue = state.queues.removeValue(forKey: key) else { return }
            // Completions can arrive out of order from a remote backend: resend in stamp order.
            let batches = queue.retrying.sorted { ($0.stamp?.sequence ?? 0) < ($1.stamp?.sequence ?? 0) }
            queue.retrying = []
            for batch in batches {
                queue.inFlight += 1
                queue.resentInFlight += 1
                submit(batch, queue: &queue, state: &state)
            }
            state.queues[key] = queue
        }
    }

    /// Failures worth retrying: a later batch refused because an earlier one failed (storage keeps
    /// the order), and errors a remote backend marks as transient.
    private static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? StreamQStorageError { return error.code == .outOfOrderSequence }
        return error is any RetryableError
    }

    private func backoff(attempt: Int) -> Duration {
        let exponential = configuration.initialBackoff * (1 << min(attempt - 1, 20))
        let capped = min(exponential, configuration.maxBackoff)
        return capped / 2 + .milliseconds(Int64.random(in: 0...max(1, capped.milliseconds / 2)))  // jitter
    }

    private func fail(_ batch: Batch, _ error: any Error, state: inout State) {
        for (record, target) in zip(batch.records, batch.targets.perRecord) {
            let failure = ProducerError(record: record, stream: batch.key.stream, underlying: error)
            target.promise.resolveFailed(target.index, failure)
            if state.failures.firstErrors.count < 10 { state.failures.firstErrors.append(failure) }
        }
        state.failures.failedCount += batch.records.count
        failedCounter.increment(by: batch.records.count)
        logger.error(
            "records failed",
            metadata: ["stream": "\(batch.key.stream)", "count": "\(batch.records.count)", "error": "\(error)"]
        )
        release(batch, state: &state)
    }

    private func release(_ batch: Batch, state: inout State) {
        state.bufferedBytes -= batch.bytes
        state.outstanding -= batch.records.count
        let room = state.roomWaiters
        state.roomWaiters = []
        for waiter in room { waiter.resume() }
        if state.outstanding == 0 {
            let idle = state.idleWaiters
            state.idleWaiters = []
            for waiter in idle { waiter.resume() }
        }
    }

    private func waitForRoom(_ size: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let full = state.withLock { state -> Bool in
                guard state.bufferedBytes > 0 && state.bufferedBytes + size > configuration.maxBufferedBytes else {
                    return false
                }
                state.roomWaiters.append(continuation)
                return true
            }
            if !full { continuation.resume() }
        }
    }

    // MARK: Routing

    /// Loads the open shards of `stream` (or waits for a load or reroute already under way).
    private func loadRoutes(_ stream: StreamName) async throws {
        let load = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
            let decision = state.withLock { state -> Bool? in
                if state.routes[stream] != nil && !state.rerouting.contains(stream) { return false }  // ready now
                if state.loadingRoutes[stream] == nil && !state.rerouting.contains(stream) {
                    state.loadingRoutes[stream] = []
                    return true  // this caller loads
                }
                state.loadingRoutes[stream, default: []].append(continuation)  // resumed with false: look again
                return nil
            }
            if let decision { continuation.resume(returning: decision) }
        }
        guard load else { return }
        do {
            let routes = ShardRoutes(try await backend.describeStream(stream))
            let waiters = state.withLock { state in
                state.routes[stream] = routes
                return state.loadingRoutes.removeValue(forKey: stream) ?? []
            }
            for waiter in waiters { waiter.resume(returning: false) }
        } catch {
            let waiters = state.withLock { $0.loadingRoutes.removeValue(forKey: stream) ?? [] }
            for waiter in waiters { waiter.resume(throwing: error) }
            throw error
        }
    }

    /// After a reshard: once no closed shard of `stream` has batches in flight, routes what they
    /// refused and what is still buffered for them to the shards that own those keys now, ahead of
    /// anything sent since. Sends to the stream wait meanwhile.
    private func reroute(_ stream: StreamName) async {
        var description: StreamDescription
        do {
            // A shard refuses appends just before the reshard that closes it is committed: wait
            // until the stream's description shows it closed.
            var attempts = 0
            while true {
                description = try await backend.describeStream(stream)
                let closedNow = Set(description.shards.filter { !$0.isOpen }.map(\.id))
                let refusing = state.withLock { state in
                    state.queues.filter { $0.key.stream == stream && $0.value.closed }.map(\.key.shard)
                }
                if refusing.allSatisfy(closedNow.contains) { break }
                attempts += 1
                guard attempts < 5000 else {
                    throw StreamQStorageError(.shardClosed, "shards of '\(stream)' refuse appends but are not closed")
                }
                try await Task.sleep(for: .milliseconds(1))
            }
        } catch {
            state.withLock { state in
                state.rerouting.remove(stream)
                for key in state.queues.keys where key.stream == stream && state.queues[key]!.closed {
                    let queue = state.queues.removeValue(forKey: key)!
                    for batch in queue.refused { fail(batch, error, state: &state) }
                    if !queue.isEmpty {
                        let buffered = queue.bufferedRecords
                        fail(
                            Batch(
                                key: key,
                                records: buffered.records,
                                targets: buffered.targets,
                                bytes: buffered.bytes,
                                stamp: nil,
                                attempt: 1
                            ),
                            error,
                            state: &state
                        )
                    }
                }
            }
            resumeRouteWaiters(stream, error: error)
            return
        }
        let routes = ShardRoutes(description)
        let closedShards = Set(description.shards.filter { !$0.isOpen }.map(\.id))
        let ready = state.withLock { state -> Bool in
            let closing = state.queues.filter { $0.key.stream == stream && closedShards.contains($0.key.shard) }
            // A closed shard with batches still in flight: its last completion starts this again.
            guard closing.allSatisfy({ $0.value.inFlight == 0 }) else {
                state.rerouting.remove(stream)
                if let busy = closing.first(where: { $0.value.inFlight > 0 }) { state.queues[busy.key]!.closed = true }
                return false
            }
            var moved: [ShardKey: (records: [AppendRecord], targets: RecordTargets, bytes: Int)] = [:]
            for (key, queue) in closing.sorted(by: { $0.key.shard < $1.key.shard }) {
                let buffered = queue.bufferedRecords
                let records = queue.refused.flatMap(\.records) + buffered.records
                var targets = queue.refused.reduce(into: RecordTargets()) { $0.append(contentsOf: $1.targets) }
                targets.append(contentsOf: buffered.targets)
                for (record, target) in zip(records, targets.perRecord) {
                    let child = ShardKey(
                        stream: stream,
                        shard: routes.shard(
                            forPartitionKey: record.partitionKey,
                            explicitHashKey: record.explicitHashKey
                        )
                    )
                    moved[child, default: ([], RecordTargets(), 0)].records.append(record)
                    moved[child]!.targets.append(target.promise, index: target.index)
                    moved[child]!.bytes += record.data.count + record.partitionKey.utf8.count
                }
                state.queues.removeValue(forKey: key)
            }
            state.routes[stream] = routes
            for (key, run) in moved {
                var queue = state.queues.removeValue(forKey: key) ?? ShardQueue()
                // Rerouted records go first, cut into batches of their own.
                var rerouted: [PendingBatch] = []
                for start in stride(from: 0, to: run.records.count, by: configuration.maxBatchRecords) {
                    var batch = PendingBatch()
                    let end = min(start + configuration.maxBatchRecords, run.records.count)
                    batch.records = Array(run.records[start..<end])
                    batch.targets = run.targets.slice(start..<end)
                    batch.bytes = batch.records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
                    rerouted.append(batch)
                }
                queue.ready = rerouted + queue.ready
                queue.urgent = true
                state.queues[key] = queue
                dispatchReady(key, state: &state)
            }
            state.rerouting.remove(stream)
            return true
        }
        if ready { resumeRouteWaiters(stream, error: nil) }
    }

    private func resumeRouteWaiters(_ stream: StreamName, error: (any Error)?) {
        let waiters = state.withLock { $0.loadingRoutes.removeValue(forKey: stream) ?? [] }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: false) }
        }
    }
}

/// An error a backend reports as transient: the producer retries the batch with backoff.
public protocol RetryableError: Error {}

/// Records that failed for good since the previous flush.
public struct ProducerFlushError: Error, CustomStringConvertible, Sendable {
    public var failedCount: Int
    /// The first few failures, each with its record.
    public var firstErrors: [ProducerError]

    public var description: String {
        "\(failedCount) record\(failedCount == 1 ? "" : "s") could not be stored"
            + (firstErrors.first.map { ": \($0.underlying)" } ?? "")
    }
}
