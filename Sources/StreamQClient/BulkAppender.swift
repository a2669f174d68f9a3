import Dispatch
import StreamQStorage
import Synchronization

/// Appends a long run of records to one stream of an embedded store as fast as the store can take
/// them: records are encoded straight into one batch per open shard (no object per record), full
/// batches are appended while the next ones fill, and at most `maxInFlightBytes` wait for
/// acknowledgement at once, so memory stays bounded whatever the input rate. What `streamq put`
/// uses; ``StreamQProducer`` is the general-purpose path (any backend, handles per record,
/// reshards while sending).
///
/// With more than one open shard, a record goes to the shard owning the MD5 of its partition key.
/// While keys repeat (one key, keys of runs of records, user ids), a key seen recently is not
/// hashed again (``PartitionKeyRouteCache``) and records are routed as they are added. While they
/// do not (a quarter or more of the records bring a key not seen lately), records are gathered in
/// chunks that other cores hash (eight keys at a time), route and encode; every few chunks the
/// appender tries routing as records are added again. Appends are queued in the order records came,
/// whichever way they were routed.
///
/// Each shard's records are stored in the order given. A failed append is sticky: later calls
/// throw it, and ``finish()`` reports it with the count stored.
public final class BulkAppender {
    private let store: StreamStore
    private let stream: StreamName
    private let routes: ShardRoutes
    private let batchBytes: Int
    private let maxBatchRecords: Int
    private let inFlight: InFlight
    private let shardCount: Int
    /// What ``add(partitionKey:data:)`` changes per record, behind a pointer: every access to a
    /// class's stored property is checked for exclusivity at run time, which cost `put` more than
    /// routing a record.
    private let filling: UnsafeMutablePointer<Filling>
    /// Chunks dispatched since routing in chunks began.
    private var chunksDispatched = 0
    /// Appends (a shard's batch, or a chunk's batches) run in the order of their tickets.
    private var nextTicket = 0
    private let sequencer = TicketSequencer()

    private struct Filling {
        /// How records are being routed now, and what is being filled for it.
        var routing = Routing.asAdded
        /// The batch being filled for each open shard (by position in `routes.shards`), routing as added.
        var parts: [EncodedRecords]
        var routeCache = PartitionKeyRouteCache()
        /// Records added while routing as added in the current window of ``windowRecords``.
        var windowCount = 0
        var previousWindowMissedOften = false
        /// Records waiting to be routed on other cores, routing in chunks.
        var chunk = UnroutedChunk()
    }

    private enum Routing {
        /// Each record is routed as it is added (its key's shard cached).
        case asAdded
        /// As added, until the batches filled so far are sent; then in chunks.
        case chunksAfterSending
        /// Records are gathered and routed in chunks on other cores.
        case inChunks
    }

    /// A window of records routed as added; when a quarter or more of them miss the route cache in
    /// two windows running, routing in chunks is cheaper (an MD5 for one key costs about what
    /// gathering a record and hashing it eight at a time elsewhere does for four).
    private static let windowRecords = 8192
    /// Chunks routed on other cores before routing as added is tried again (about 500,000
    /// access-log records on 4 shards).
    private static let chunksBeforeRetry = 32

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
        self.shardCount = routes.count
        self.filling = .allocate(capacity: 1)
        filling.initialize(to: Filling(parts: routes.shards.map { _ in EncodedRecords() }))
        self.inFlight = InFlight(
            limit: max(maxInFlightBytes, 2 * store.configuration.maxBatchBytes),
            acknowledged: acknowledged
        )
    }

    deinit {
        filling.deinitialize(count: 1)
        filling.deallocate()
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
        if shardCount == 1 { return add(data, partitionKey: partitionKey, route: 0) }
        if case .inChunks = filling.pointee.routing {
            filling.pointee.chunk.add(partitionKey, data)
            // About a batch per shard (a shard's share is cut into batches when routed).
            return filling.pointee.chunk.dataBytes >= batchBytes * shardCount
                || filling.pointee.chunk.count >= maxBatchRecords * shardCount
        }
        let full = add(
            data,
            partitionKey: partitionKey,
            route: filling.pointee.routeCache.route(for: partitionKey, in: routes)
        )
        filling.pointee.windowCount += 1
        guard filling.pointee.windowCount == Self.windowRecords else { return full }
        let missedOften = filling.pointee.routeCache.misses * 4 >= filling.pointee.windowCount
        (filling.pointee.windowCount, filling.pointee.routeCache.misses) = (0, 0)
        // Two windows running, so that the first sight of a few thousand keys does not count.
        defer { filling.pointee.previousWindowMissedOften = missedOften }
        guard missedOften && filling.pointee.previousWindowMissedOften else { return full }
        filling.pointee.routing = .chunksAfterSending
        return true
    }

    /// Tells the appender the partition key of a record it will be given soon (the one after the
    /// record about to be added), so that finding that record's shard does not wait for memory: for
    /// a caller that reads keys a record ahead (`streamq put --key-field`: many keys, repeating).
    public func prepare(partitionKey: String) {
        guard shardCount > 1, case .asAdded = filling.pointee.routing else { return }
        filling.pointee.routeCache.prefetch(partitionKey)
    }

    @inline(__always)
    private func add(_ data: UnsafeRawBufferPointer, partitionKey: String, route: Int) -> Bool {
        let (byteCount, count) = filling.pointee.parts[route].append(partitionKey: partitionKey, data: data)
        return isFull(byteCount: byteCount, count: count)
    }

    /// Whether a batch this large is to be appended now (an append is one batch).
    @inline(__always)
    private func isFull(byteCount: Int, count: Int) -> Bool {
        byteCount >= batchBytes || count >= maxBatchRecords
    }

    /// Appends what ``add(partitionKey:data:)`` filled (suspending while too many bytes await
    /// acknowledgement).
    /// - Throws: the first failed append.
    public func sendFull() async throws {
        switch filling.pointee.routing {
        case .asAdded:
            for route in filling.pointee.parts.indices
            where isFull(byteCount: filling.pointee.parts[route].byteCount, count: filling.pointee.parts[route].count) {
                try await send(route)
            }
        case .chunksAfterSending:
            try await beginRoutingInChunks()
        case .inChunks:
            try await dispatchChunk()
            chunksDispatched += 1
            if chunksDispatched >= Self.chunksBeforeRetry { filling.pointee.routing = .asAdded }
        }
    }

    /// Sends every shard's batch, so that everything added so far is queued before the first chunk,
    /// and routes in chunks from now on.
    private func beginRoutingInChunks() async throws {
        for route in filling.pointee.parts.indices where !filling.pointee.parts[route].isEmpty {
            try await send(route)
        }
        filling.pointee.routing = .inChunks
        filling.pointee.previousWindowMissedOften = false
        chunksDispatched = 0
    }

    /// Appends every shard's partial batch now, without waiting for acknowledgements: for when
    /// no more records are coming for a while.
    public func appendBuffered() async throws {
        if case .chunksAfterSending = filling.pointee.routing { try await beginRoutingInChunks() }
        for route in filling.pointee.parts.indices where !filling.pointee.parts[route].isEmpty { try await send(route) }
        if !filling.pointee.chunk.isEmpty { try await dispatchChunk() }
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

    /// Appends one shard's batch. The next one gets room for as much as this one held (grown from
    /// nothing, its megabyte was copied over again at every doubling).
    private func send(_ route: Int) async throws {
        let batch = filling.pointee.parts[route]
        filling.pointee.parts[route] = EncodedRecords(
            reservingCapacity: min(batch.byteCount + batch.byteCount / 8, 2 * batchBytes)
        )
        try await inFlight.reserve(batch.byteCount)
        let (shard, stream, store, inFlight) = (routes.shards[route], self.stream, self.store, self.inFlight)
        sequencer.run(takeTicket()) { Self.enqueue(batch, to: shard, of: stream, in: store, inFlight: inFlight) }
        if let failure = inFlight.failure { throw failure }
    }

    /// Hands the chunk to another core to route and encode; its appends are queued after those
    /// before it.
    private func dispatchChunk() async throws {
        let chunk = filling.pointee.chunk
        filling.pointee.chunk = UnroutedChunk(reservingBytes: chunk.dataBytes, records: chunk.count)
        // Counted in flight from now on: a guess of its encoded size, corrected once encoded.
        let estimate = chunk.dataBytes + chunk.count * 32
        try await inFlight.reserve(estimate)
        let ticket = takeTicket()
        let (store, stream, routes, inFlight, sequencer) = (
            self.store, self.stream, self.routes, self.inFlight, self.sequencer
        )
        let (batchBytes, maxBatchRecords) = (self.batchBytes, self.maxBatchRecords)
        DispatchQueue.global(qos: .userInitiated).async {
            let batches = chunk.routed(by: routes, batchBytes: batchBytes, maxBatchRecords: maxBatchRecords)
            let encoded = batches.reduce(0) { $0 + $1.records.byteCount }
            inFlight.complete(bytes: estimate - encoded, records: 0, .success(()))
            sequencer.run(ticket) {
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
        if let failure = inFlight.failure { throw failure }
    }

    private func takeTicket() -> Int {
        defer { nextTicket += 1 }
        return nextTicket
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
private final class TicketSequencer: Sendable {
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
