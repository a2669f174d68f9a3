import StreamQStorage
import Synchronization

/// Appends a long run of records to one stream of an embedded store as fast as the store can take
/// them: records are routed by partition key and encoded straight into a batch per shard (no
/// object per record), full batches are appended while the next ones fill, and at most
/// `maxInFlightBytes` wait for acknowledgement at once, so memory stays bounded whatever the input
/// rate. What `streamq put` uses; ``StreamQProducer`` is the general-purpose path (any backend,
/// handles per record, reshards while sending).
///
/// Each shard's records are stored in the order given. A failed append is sticky: later calls
/// throw it, and ``finish()`` reports it with the count stored.
public final class BulkAppender {
    private let store: StreamStore
    private let stream: StreamName
    private let routes: [(range: HashKeyRange, shard: ShardID)]
    private let batchBytes: Int
    private let maxBatchRecords: Int
    private var batches: [EncodedRecords]
    private let inFlight: InFlight
    private var lastKey: (key: String, shard: Int)?

    /// Records acknowledged (stored under the store's fsync policy) so far; readable from any task.
    public let acknowledged = AcknowledgedCount()
    public var acknowledgedRecords: Int { acknowledged.value }

    /// - Parameters:
    ///   - maxBatchRecords: records per append at most (an append is also cut at the store's
    ///     `maxBatchBytes`). Default 10,000.
    ///   - maxInFlightBytes: encoded bytes appended but not yet acknowledged, at most; `append`
    ///     suspends beyond it. Default 64 MiB.
    public init(
        store: StreamStore,
        stream: StreamName,
        maxBatchRecords: Int = 10_000,
        maxInFlightBytes: Int = 64 << 20
    ) throws {
        self.maxBatchRecords = max(1, maxBatchRecords)
        self.store = store
        self.stream = stream
        self.routes = try store.describeStream(stream).openShards.map { ($0.hashKeyRange, $0.id) }
            .sorted { $0.range.start < $1.range.start }
        self.batchBytes = store.configuration.maxBatchBytes
        self.batches = routes.map { _ in EncodedRecords() }
        self.inFlight = InFlight(
            limit: max(maxInFlightBytes, 2 * store.configuration.maxBatchBytes),
            acknowledged: acknowledged
        )
    }

    /// Adds a record; appends its shard's batch once that is full (suspending while too many bytes
    /// await acknowledgement).
    /// - Throws: the first failed append, or a validation error for this record.
    public func append(partitionKey: String, data: some Collection<UInt8>) async throws {
        let shard = route(partitionKey)
        let added: Void? = data.withContiguousStorageIfAvailable { bytes in
            batches[shard].append(partitionKey: partitionKey, data: UnsafeRawBufferPointer(bytes))
        }
        if added == nil {
            Array(data).withUnsafeBytes { batches[shard].append(partitionKey: partitionKey, data: $0) }
        }
        if batches[shard].byteCount >= batchBytes || batches[shard].count >= maxBatchRecords { try await send(shard) }
    }

    /// Appends every shard's partial batch now, without waiting for acknowledgements: for when
    /// no more records are coming for a while.
    public func appendBuffered() async throws {
        for shard in batches.indices where !batches[shard].isEmpty { try await send(shard) }
    }

    /// Appends what is buffered and waits for every acknowledgement.
    /// - Returns: the number of records stored.
    /// - Throws: the first failed append, after everything else has settled.
    @discardableResult
    public func finish() async throws -> Int {
        try await appendBuffered()
        try await inFlight.waitForAll()
        return acknowledged.value
    }

    private func route(_ partitionKey: String) -> Int {
        if routes.count == 1 { return 0 }
        if let lastKey, lastKey.key == partitionKey { return lastKey.shard }
        let hash = HashKey.forPartitionKey(partitionKey)
        var low = 0
        var high = routes.count - 1
        while low < high {  // the last route whose start <= hash
            let mid = (low + high + 1) / 2
            if routes[mid].range.start <= hash { low = mid } else { high = mid - 1 }
        }
        lastKey = (partitionKey, low)
        return low
    }

    private func send(_ shard: Int) async throws {
        let batch = batches[shard]
        batches[shard] = EncodedRecords(reservingCapacity: batchBytes + batchBytes / 8)
        let bytes = batch.byteCount
        let count = batch.count
        try await inFlight.reserve(bytes)
        let inFlight = self.inFlight
        do {
            try store.enqueueAppend(to: stream, shard: routes[shard].shard, encoded: batch) { result in
                inFlight.complete(bytes: bytes, records: count, result.map { _ in () })
            }
        } catch {
            inFlight.complete(bytes: bytes, records: count, .failure(error))
            throw error
        }
    }

    /// Bytes appended and not yet acknowledged, and the tasks waiting for room or for all of them.
    private final class InFlight: Sendable {
        private struct State {
            var bytes = 0
            var failure: (any Error)?
            /// Each waiter wants `bytes` in flight to drop to `atMost` (or, if `orFailure`, any failure).
            var waiters: [(atMost: Int, orFailure: Bool, continuation: CheckedContinuation<Void, Never>)] = []

            func isSatisfied(atMost: Int, orFailure: Bool) -> Bool { bytes <= atMost || (orFailure && failure != nil) }
        }
        private let limit: Int
        private let acknowledged: AcknowledgedCount
        private let state = Mutex(State())

        init(limit: Int, acknowledged: AcknowledgedCount) {
            self.limit = limit
            self.acknowledged = acknowledged
        }

        /// Waits until `bytes` more fit under the limit, then counts them in flight.
        func reserve(_ bytes: Int) async throws {
            while true {
                if let failure = state.withLock({ $0.failure }) { throw failure }
                let reserved = state.withLock { state -> Bool in
                    guard state.bytes == 0 || state.bytes + bytes <= limit else { return false }
                    state.bytes += bytes
                    return true
                }
                if reserved { return }
                await wait(untilAtMost: limit - bytes, orFailure: true)
            }
        }

        /// Waits until nothing is in flight.
        func waitForAll() async throws {
            await wait(untilAtMost: 0, orFailure: false)
            if let failure = state.withLock({ $0.failure }) { throw failure }
        }

        func complete(bytes: Int, records: Int, _ result: Result<Void, any Error>) {
            let ready = state.withLock { state in
                state.bytes -= bytes
                switch result {
                case .success: acknowledged.add(records)
                case .failure(let error): if state.failure == nil { state.failure = error }
                }
                let (bytes, failed) = (state.bytes, state.failure != nil)
                let satisfied = {
                    (waiter: (atMost: Int, orFailure: Bool, continuation: CheckedContinuation<Void, Never>)) in
                    bytes <= waiter.atMost || (waiter.orFailure && failed)
                }
                let ready = state.waiters.filter(satisfied)
                state.waiters.removeAll(where: satisfied)
                return ready
            }
            for waiter in ready { waiter.continuation.resume() }
        }

        private func wait(untilAtMost bytes: Int, orFailure: Bool) async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.isSatisfied(atMost: bytes, orFailure: orFailure) { return true }
                    state.waiters.append((bytes, orFailure, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }
}

/// A count of acknowledged records that any task may read while another appends.
public final class AcknowledgedCount: Sendable {
    private let count = Atomic<Int>(0)

    public var value: Int { count.load(ordering: .relaxed) }

    func add(_ records: Int) { count.add(records, ordering: .relaxed) }
}
