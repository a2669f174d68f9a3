import Dispatch
import Synchronization

/// Serializes one shard's writes on a dedicated queue and commits them in groups.
///
/// Callers enqueue records and suspend. The queue takes everything queued so far, writes it as
/// consecutive batches with one `pwrite`, then (under `FsyncPolicy.always`) one `fdatasync`, and only
/// then resumes the callers and makes the records visible to readers. Appends that arrive while a
/// sync is running form the next group, so many concurrent appenders share each fsync.
final class ShardWriter: Sendable {
    let log: ShardLog
    private let queue: DispatchQueue
    private let policy: FsyncPolicy
    private let state = Mutex(State())

    private struct Request: Sendable {
        var records: [AppendRecord]
        var continuation: CheckedContinuation<UInt64, any Error>
    }

    private struct State: Sendable {
        var requests: [Request] = []
        var draining = false
        var syncScheduled = false
    }

    /// Requests taken into one group at most (by count of record bytes), so one huge backlog does
    /// not become one enormous write.
    private static let maxGroupBytes = 16 << 20

    init(log: ShardLog, policy: FsyncPolicy) {
        self.log = log
        self.policy = policy
        self.queue = DispatchQueue(label: "streamq.shard-writer.\(log.shard)")
    }

    /// Appends `records` as one contiguous run and returns the sequence of the first, once the
    /// records are acknowledged under the fsync policy.
    func append(_ records: [AppendRecord]) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state in
                state.requests.append(Request(records: records, continuation: continuation))
                defer { state.draining = true }
                return !state.draining
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    /// Runs `operation` on the writer queue after every append enqueued before it.
    func perform<T: Sendable>(_ operation: @escaping @Sendable (ShardLog) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try operation(self.log) })
            }
        }
    }

    /// A durability barrier: everything acknowledged before this call is on stable storage after it.
    func flush() async throws {
        try await perform { log in
            try log.sync()
            log.publish()
        }
    }

    private func drain() {
        while true {
            let requests: [Request] = state.withLock { state in
                guard !state.requests.isEmpty else {
                    state.draining = false
                    return []
                }
                var taken = 0
                var bytes = 0
                while taken < state.requests.count && (taken == 0 || bytes < Self.maxGroupBytes) {
                    bytes += state.requests[taken].records.reduce(0) { $0 + $1.data.count }
                    taken += 1
                }
                let group = Array(state.requests[0..<taken])
                state.requests.removeFirst(taken)
                return group
            }
            guard !requests.isEmpty else { return }
            commit(requests)
        }
    }

    private func commit(_ requests: [Request]) {
        do {
            let bases = try log.write(requests.map(\.records))
            switch policy {
            case .always: try log.sync()
            case .interval(let interval): scheduleSync(after: interval)
            case .never: break
            }
            log.publish()
            for (request, base) in zip(requests, bases) { request.continuation.resume(returning: base) }
        } catch {
            for request in requests { request.continuation.resume(throwing: error) }
        }
    }

    private func scheduleSync(after interval: Duration) {
        let schedule = state.withLock { state in
            defer { state.syncScheduled = true }
            return !state.syncScheduled
        }
        guard schedule else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(interval.milliseconds))) {
            self.state.withLock { $0.syncScheduled = false }
            try? self.log.sync()  // a failure is sticky inside the log and surfaces on the next write
        }
    }
}
