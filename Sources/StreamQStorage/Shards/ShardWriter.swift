import Dispatch
import Synchronization

/// Serializes one shard's writes and commits them in groups.
///
/// Callers enqueue records and suspend. The writer queue takes everything queued so far and writes
/// it as consecutive batches with one `pwrite`. Under `FsyncPolicy.always` the group then passes to
/// the stream's ``SyncStage``, which runs `fdatasync` beside the writer (the next group is
/// compressed while this one syncs), and only after the sync are the callers resumed and the
/// records made visible. Groups that finish writing while a sync round is running share the next.
final class ShardWriter: Sendable {
    let log: ShardLog
    private let policy: FsyncPolicy
    private let writerQueue: DispatchQueue
    private let syncStage: SyncStage
    private let syncQueue: DispatchQueue
    private let writer = Mutex(WriterState())

    private struct Request: Sendable {
        var append: ShardAppend
        var complete: @Sendable (Result<UInt64, any Error>) -> Void
        /// Set for an append being compressed ahead of the writer; it is written once that is done.
        var compression: PendingCompression?
        /// Compressing ahead failed: the append is not written and its caller learns why.
        var compressionFailure: StreamQStorageError?
    }

    /// The outcome of compressing one append ahead of the writer.
    private final class PendingCompression: Sendable {
        let result = Mutex<Result<[CompressedPayload], StreamQStorageError>?>(nil)
    }

    private struct WriterState: Sendable {
        var requests: [Request] = []
        var draining = false
        var intervalSyncScheduled = false
    }

    /// Requests taken into one group at most (by record bytes), so one huge backlog does not become
    /// one enormous write.
    private static let maxGroupBytes = 16 << 20
    /// Appends at least this large (before compression) are compressed ahead of the writer, in
    /// parallel with other appends; smaller ones are merged into shared batches by the writer.
    private static let compressAheadBytes = 32 << 10

    /// A writer for `log`; under `FsyncPolicy.always` its written groups are synced by `syncStage`,
    /// which the stream's other shard writers share.
    init(log: ShardLog, policy: FsyncPolicy, syncStage: SyncStage) {
        self.log = log
        self.policy = policy
        self.writerQueue = DispatchQueue(label: "streamq.shard-writer.\(log.shard)")
        self.syncStage = syncStage
        self.syncQueue = DispatchQueue(label: "streamq.shard-sync.\(log.shard)")
    }

    /// Appends `records` as one contiguous run and returns the sequence of the first, once the
    /// records are acknowledged under the fsync policy.
    func append(_ records: [AppendRecord], producer: ProducerStamp? = nil) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(records, producer: producer) { continuation.resume(with: $0) }
        }
    }

    /// Queues an append and returns at once; `completion` runs when it is acknowledged or failed.
    /// Appends queued by one caller are stored in the order queued.
    func enqueue(
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void
    ) {
        enqueue(ShardAppend(.records(records), producer: producer), completion: completion)
    }

    func enqueue(_ append: ShardAppend, completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) {
        var request = Request(append: append, complete: completion)
        let configuration = log.configuration
        if configuration.compression != .none, append.compressed == nil, append.byteCount >= Self.compressAheadBytes {
            let pending = PendingCompression()
            request.compression = pending
            CompressorPool.shared.queue.async {
                let result: Result<[CompressedPayload], StreamQStorageError>
                do {
                    result = .success(
                        try append.compress(
                            maxBatchBytes: configuration.maxBatchBytes,
                            compression: configuration.compression
                        )
                    )
                } catch let error as StreamQStorageError {
                    result = .failure(error)
                } catch {
                    result = .failure(StreamQStorageError(.ioFailure, "compressing an append failed: \(error)"))
                }
                pending.result.withLock { $0 = result }
                self.startDraining()
            }
        }
        writer.withLock { $0.requests.append(request) }
        startDraining()
    }

    /// Starts the writer on what is queued, unless it is already running.
    private func startDraining() {
        let start = writer.withLock { state in
            guard !state.draining && !state.requests.isEmpty else { return false }
            state.draining = true
            return true
        }
        if start { writerQueue.async { self.drainWrites() } }
    }

    /// Runs `operation` on the writer queue after every append enqueued before it.
    func perform<T: Sendable>(_ operation: @escaping @Sendable (ShardLog) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writerQueue.async {
                continuation.resume(with: Result { try operation(self.log) })
            }
        }
    }

    /// A durability barrier: everything acknowledged before this call is on stable storage after it.
    func flush() async throws {
        try await perform { try $0.sync() }
    }

    private func drainWrites() {
        while true {
            let requests: [Request] = writer.withLock { state in
                // Take requests in order, up to the first still being compressed.
                var taken = 0
                var bytes = 0
                while taken < state.requests.count && (taken == 0 || bytes < Self.maxGroupBytes) {
                    guard let request = Self.ready(state.requests[taken]) else { break }
                    state.requests[taken] = request
                    bytes += request.append.byteCount
                    taken += 1
                }
                guard taken > 0 else {
                    // Empty, or the next append is still being compressed: its completion restarts us.
                    state.draining = false
                    return []
                }
                let group = Array(state.requests[0..<taken])
                state.requests.removeFirst(taken)
                return group
            }
            guard !requests.isEmpty else { return }
            write(requests)
        }
    }

    /// The request with its compressed payloads in place, or nil while they are being made.
    private static func ready(_ request: Request) -> Request? {
        guard let compression = request.compression else { return request }
        guard let result = compression.result.withLock({ $0 }) else { return nil }
        var ready = request
        ready.compression = nil
        switch result {
        case .success(let payloads): ready.append.setCompressed(payloads)
        case .failure(let error): ready.compressionFailure = error
        }
        return ready
    }

    private func write(_ requests: [Request]) {
        let failed = requests.filter { $0.compressionFailure != nil }
        for request in failed { request.complete(.failure(request.compressionFailure!)) }
        let requests = failed.isEmpty ? requests : requests.filter { $0.compressionFailure == nil }
        guard !requests.isEmpty else { return }
        let results: [Result<UInt64, StreamQStorageError>]
        do {
            results = try log.write(requests.map(\.append))
        } catch {
            for request in requests { request.complete(.failure(error)) }
            return
        }
        switch policy {
        case .always:
            log.publish(durable: false)
            syncStage.submit(
                SyncStage.Group(
                    log: log,
                    file: log.activeFileHandle,
                    watermark: log.writtenWatermark,
                    syncQueue: syncQueue
                ) { failure in
                    for (request, result) in zip(requests, results) {
                        request.complete(failure.map { .failure($0) } ?? result.mapError { $0 })
                    }
                }
            )
            return
        case .interval(let interval):
            scheduleIntervalSync(after: interval)
        case .never:
            break
        }
        log.publish(durable: true)
        for (request, result) in zip(requests, results) { request.complete(result.mapError { $0 }) }
    }

    private func scheduleIntervalSync(after interval: Duration) {
        let schedule = writer.withLock { state in
            defer { state.intervalSyncScheduled = true }
            return !state.intervalSyncScheduled
        }
        guard schedule else { return }
        writerQueue.asyncAfter(deadline: .now() + .milliseconds(Int(interval.milliseconds))) {
            self.writer.withLock { $0.intervalSyncScheduled = false }
            try? self.log.sync()  // a failure is sticky inside the log and surfaces on the next write
        }
    }
}
