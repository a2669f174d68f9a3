import Synchronization

/// Bytes of records sent and not yet acknowledged, bounded: TCP input waits for room (and so stops
/// reading its socket), UDP input takes room only if there is some. A record larger than the whole
/// budget is let through when nothing else is in flight, so it cannot wait forever.
final class InFlightBudget: Sendable {
    private struct Waiter {
        var bytes: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var used = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters in arrival order, served first come first served.
        var queue: [UInt64] = []
        var nextWaiter: UInt64 = 0
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
        var aborted = false

        func fits(_ bytes: Int, limit: Int) -> Bool { used == 0 || used + bytes <= limit }
    }

    /// The budget is gone: ``InFlightBudget/abort()`` was called at the end of the grace period.
    struct Aborted: Error {}

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    var used: Int { state.withLock { $0.used } }

    /// Takes `bytes` if they fit now.
    func tryAcquire(_ bytes: Int) -> Bool {
        state.withLock { state in
            guard !state.aborted, state.queue.isEmpty, state.fits(bytes, limit: limit) else { return false }
            state.used += bytes
            return true
        }
    }

    /// Takes `bytes`, waiting for acknowledgements to make room.
    /// - Throws: `CancellationError` when the task is cancelled, ``Aborted`` after ``abort()``.
    func acquire(_ bytes: Int) async throws {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.aborted { return .failure(Aborted()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.queue.isEmpty, state.fits(bytes, limit: limit) {
                        state.used += bytes
                        return .success(())
                    }
                    state.waiters[id] = Waiter(bytes: bytes, continuation: continuation)
                    state.queue.append(id)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                state.queue.removeAll { $0 == id }
                return state.waiters.removeValue(forKey: id)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives back `bytes` and lets waiting inputs go on.
    func release(_ bytes: Int) {
        let (granted, empty) = state.withLock { state in
            state.used -= bytes
            var granted: [CheckedContinuation<Void, any Error>] = []
            while let first = state.queue.first, let waiter = state.waiters[first],
                state.fits(waiter.bytes, limit: limit)
            {
                state.queue.removeFirst()
                state.waiters[first] = nil
                state.used += waiter.bytes
                granted.append(waiter.continuation)
            }
            var empty: [CheckedContinuation<Void, Never>] = []
            if state.used == 0 { swap(&empty, &state.emptyWaiters) }
            return (granted, empty)
        }
        for continuation in granted { continuation.resume() }
        for continuation in empty { continuation.resume() }
    }

    /// Returns once nothing is in flight, or after ``abort()``.
    func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.used == 0 || state.aborted { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Ends every wait: waiting inputs throw ``Aborted`` and ``waitUntilEmpty()`` returns.
    func abort() {
        let (waiters, empty) = state.withLock { state in
            state.aborted = true
            let waiters = state.queue.compactMap { state.waiters[$0]?.continuation }
            state.queue = []
            state.waiters = [:]
            var empty: [CheckedContinuation<Void, Never>] = []
            swap(&empty, &state.emptyWaiters)
            return (waiters, empty)
        }
        for waiter in waiters { waiter.resume(throwing: Aborted()) }
        for continuation in empty { continuation.resume() }
    }
}
