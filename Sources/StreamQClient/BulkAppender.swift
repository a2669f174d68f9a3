import Dispatch
import StreamQStorage
import Synchronization

/// Appends a long run of records to one stream of an embedded store as fast as the store can take
/// them: records are encoded straight into batches (no object per record), full batches are
/// appended while the next ones fill, and at most
/// `maxInFlightBytes` wait for acknowledgement at once, so memory stays bounded whatever the input
/// rate. What `streamq put` uses; ``StreamQProducer`` is the general-purpose path (any backend,
/// handles per record, reshards while sending).
///
/// With more than one open shard, hashing each partition key (MD5) to route it is the costliest step
/// per record, so records are gathered in chunks that other cores route and encode, and each
/// chunk's appends are queued in chunk order.
///
/// Each shard's records are stored in the order given. A failed append is sticky: later calls
/// throw it, and ``finish()`` reports it with the count stored.
public final class BulkAppender {
    private let store: StreamStore
    private let stream: StreamName
    private let routes: ShardRoutes
    private let batchBytes: Int
    private let maxBatchRecords: Int
    /// The batch being filled when the stream has one open shard.
    private var batch = EncodedRecords()
    private let inFlight: InFlight
    /// Records waiting to be routed (more than one open shard), and the order chunks keep.
    private var chunk = UnroutedChunk()
    private var nextChunk = 0
    private let sequencer = ChunkSequencer()

    /// Records acknowledged (stored under the store's fsync policy) so far; readable from any task.
    public let acknowledged = AcknowledgedCount()
    public var acknowledgedRecords: Int { acknowledged.value }

    /// - Parameters:
    ///   - maxBatchRecords: records per append at most (an append is also cut at the store's
    ///     `maxBatchBytes`). Default 10,000.
    ///   - maxInFlightBytes: encoded bytes appended but not yet acknowledged, at most; `append`
    ///     suspends beyond it. Default 16 MiB: enough to keep every core compressing while earlier
    ///     batches sync.
    public init(
        store: StreamStore,
        stream: StreamName,
        maxBatchRecords: Int = 10_000,
        maxInFlightBytes: Int = 16 << 20
    ) throws {
        self.maxBatchRecords = max(1, maxBatchRecords)
        self.store = store
        self.stream = stream
        self.routes = ShardRoutes(try store.describeStream(stream))
        self.batchBytes = store.configuration.maxBatchBytes
        self.inFlight = InFlight(
            limit: max(maxInFlightBytes, 2 * store.configuration.maxBatchBytes),
            acknowledged: acknowledged
        )
    }

    /// Adds a record; appends its shard's batch once that is full (suspending while too many bytes
    /// await acknowledgement).
    /// - Throws: the first failed append, or a validation error for this record.
    public func append(partitionKey: String, data: some Collection<UInt8>) async throws {
        let full =
            data.withContiguousStorageIfAvailable { add(partitionKey: partitionKey, data: UnsafeRawBufferPointer($0)) }
            ?? Array(data).withUnsafeBytes { add(partitionKey: partitionKey, data: $0) }
        if full { try await sendFull() }
    }

    /// Adds a record to what is being filled, without suspending: the per-record step of
    /// ``append(partitionKey:data:)`` for a caller with many records at hand (an `async` call and
    /// a generic collection per record cost `streamq put` more than the encoding).
    /// - Returns: true when what is being filled is full: call ``sendFull()`` before adding more.
    public func add(partitionKey: String, data: UnsafeRawBufferPointer) -> Bool {
        if routes.count > 1 {
            chunk.add(partitionKey, data)
            // About a batch per shard (a shard's share is cut into batches when routed).
            return chunk.dataBytes >= batchBytes * routes.count || chunk.count >= maxBatchRecords * routes.count
        }
        batch.append(partitionKey: partitionKey, data: data)
        return batch.byteCount >= batchBytes || batch.count >= maxBatchRecords
    }

    /// Appends what ``add(partitionKey:data:)`` filled (suspending while too many bytes await
    /// acknowledgement).
    /// - Throws: the first failed append.
    public func sendFull() async throws {
        if routes.count > 1 { try await dispatchChunk() } else { try await sendBatch() }
    }

    /// Appends every shard's partial batch now, without waiting for acknowledgements: for when
    /// no more records are coming for a while.
    public func appendBuffered() async throws {
        if !chunk.isEmpty { try await dispatchChunk() }
        if !batch.isEmpty { try await sendBatch() }
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

    /// Hands the chunk to another core to route and encode; its appends are queued after those of
    /// every earlier chunk.
    private func dispatchChunk() async throws {
        let chunk = self.chunk
        self.chunk = UnroutedChunk(reservingBytes: chunk.dataBytes, records: chunk.count)
        // Counted in flight from now on: a guess of its encoded size, corrected once encoded.
        let estimate = chunk.dataBytes + chunk.count * 32
        try await inFlight.reserve(estimate)
        let index = nextChunk
        nextChunk += 1
        let (store, stream, routes, inFlight, sequencer) = (
            self.store, self.stream, self.routes, self.inFlight, self.sequencer
        )
        let (batchBytes, maxBatchRecords) = (self.batchBytes, self.maxBatchRecords)
        DispatchQueue.global(qos: .userInitiated).async {
            let batches = chunk.routed(by: routes, batchBytes: batchBytes, maxBatchRecords: maxBatchRecords)
            let encoded = batches.reduce(0) { $0 + $1.records.byteCount }
            inFlight.complete(bytes: estimate - encoded, records: 0, .success(()))
            sequencer.run(index) {
                for batch in batches {
                    Self.enqueue(
                        batch.records,
                        to: routes.shards[batch.route],
                        of: stream,
                        in: store,
                        inFlight: inFlight
                    )
                }
            }
        }
    }

    /// Appends the one-shard batch.
    private func sendBatch() async throws {
        let batch = self.batch
        self.batch = EncodedRecords(reservingCapacity: batchBytes + batchBytes / 8)
        try await inFlight.reserve(batch.byteCount)
        Self.enqueue(batch, to: routes.shards[0], of: stream, in: store, inFlight: inFlight)
        if let failure = inFlight.failure { throw failure }
    }

    /// Appends `batch` (already counted in flight); its acknowledgement or failure settles it there.
    private static func enqueue(
        _ batch: EncodedRecords,
        to shard: ShardID,
        of stream: StreamName,
        in store: StreamStore,
        inFlight: InFlight
    ) {
        let (bytes, count) = (batch.byteCount, batch.count)
        do {
            try store.enqueueAppend(to: stream, shard: shard, encoded: batch) { result in
                inFlight.complete(bytes: bytes, records: count, result.map { _ in () })
            }
        } catch {
            inFlight.complete(bytes: bytes, records: count, .failure(error))
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

        /// The first failed append, if any.
        var failure: (any Error)? { state.withLock { $0.failure } }

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

/// Records gathered for routing: their keys and their data, back to back.
private struct UnroutedChunk: Sendable {
    private var keys: [String] = []
    private var data: [UInt8] = []
    private var ends: [Int] = []

    init() {}

    /// An empty chunk with room for about as much as the last one held: grown from nothing, its
    /// megabytes were copied over again at every doubling.
    init(reservingBytes bytes: Int, records: Int) {
        keys.reserveCapacity(records + records / 8)
        data.reserveCapacity(bytes + bytes / 8)
        ends.reserveCapacity(records + records / 8)
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }
    var dataBytes: Int { data.count }

    mutating func add(_ key: String, _ bytes: UnsafeRawBufferPointer) {
        keys.append(key)
        data.append(contentsOf: bytes)
        ends.append(data.count)
    }

    /// The records encoded into batches per route (a position in `routes.shards`), each route's
    /// batches in order and cut at `batchBytes` or `maxBatchRecords`.
    func routed(
        by routes: ShardRoutes,
        batchBytes: Int,
        maxBatchRecords: Int
    ) -> [(route: Int, records: EncodedRecords)] {
        let capacity = min(batchBytes + batchBytes / 8, (data.count + 32 * keys.count) / routes.count + 4096)
        var parts = routes.shards.map { _ in EncodedRecords(reservingCapacity: capacity) }
        var batches: [(route: Int, records: EncodedRecords)] = []
        var previous: (key: String, route: Int)?
        // Keys that differ (random or from a field) are hashed eight at a time; one key repeated
        // (`--partition-key`) is hashed once.
        let hashes = keys.allSatisfy { $0 == keys.first } ? nil : HashKey.forPartitionKeys(keys)
        data.withUnsafeBytes { raw in
            var start = 0
            for (index, key) in keys.enumerated() {
                let route: Int
                if let hashes {
                    route = routes.index(for: hashes[index])
                } else if let previous, previous.key == key {
                    route = previous.route
                } else {
                    route = routes.index(for: .forPartitionKey(key))
                    previous = (key, route)
                }
                parts[route].append(partitionKey: key, data: UnsafeRawBufferPointer(rebasing: raw[start..<ends[index]]))
                start = ends[index]
                if parts[route].byteCount >= batchBytes || parts[route].count >= maxBatchRecords {
                    batches.append((route, parts[route]))
                    parts[route] = EncodedRecords(reservingCapacity: capacity)
                }
            }
        }
        for (route, part) in parts.enumerated() where !part.isEmpty { batches.append((route, part)) }
        return batches
    }
}

/// Runs work items numbered 0, 1, 2, … in that order, whatever order they arrive in.
private final class ChunkSequencer: Sendable {
    private struct State {
        var next = 0
        var waiting: [Int: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    /// Runs `work` once every item numbered below `index` has run (perhaps at once, on this thread).
    func run(_ index: Int, _ work: @escaping @Sendable () -> Void) {
        state.withLock { state in
            state.waiting[index] = work
            while let ready = state.waiting.removeValue(forKey: state.next) {
                ready()
                state.next += 1
            }
        }
    }
}
