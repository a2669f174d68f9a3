import Dispatch
import Synchronization

/// Wakes tasks waiting for "something changed" (new visible records, a closed shard) without
/// polling. A waiter passes the version it last saw, so a change between its check and its wait is
/// never missed. Package-wide: the Kinesis backend's fan-out subscriptions wake their readers with it.
package final class ChangeSignal: Sendable {
    private struct State: Sendable {
        var version: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    package init() {}

    package var version: UInt64 { state.withLock { $0.version } }

    /// Wakes every waiter.
    package func notify() {
        let waiters = state.withLock { state in
            state.version &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the first change after `version`, after `timeout`, or when the task is cancelled.
    package func wait(afterVersion version: UInt64, timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let registered = state.withLock { state -> Bool in
                    guard state.version == version, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                guard registered else { return continuation.resume() }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds))) {
                    self.wake(id)
                }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}
