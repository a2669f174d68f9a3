import StreamQStorage
import Synchronization

/// The acknowledgement of one sent record, to await when you need it.
public struct SendHandle: Sendable {
    let promise: BatchPromise
    let index: Int

    /// Waits until the record is stored (under the store's fsync policy) or has failed for good.
    /// - Throws: ``ProducerError`` with the record and the cause.
    public func acknowledgement() async throws -> AppendResult {
        try await promise.wait(for: index)
    }
}

/// The outcome of the records of one batch as the producer accumulated it. Records can end up in
/// different shards (after a reshard), so each record is resolved on its own.
final class BatchPromise: Sendable {
    private struct State {
        var outcomes: [Result<AppendResult, ProducerError>?] = []
        var waiters: [Int: [CheckedContinuation<AppendResult, any Error>]] = [:]
    }
    private let state = Mutex(State())

    func resolve(_ index: Int, _ outcome: Result<AppendResult, ProducerError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<AppendResult, any Error>] in
            if state.outcomes.count <= index { state.outcomes.append(contentsOf: repeatElement(nil, count: index + 1 - state.outcomes.count)) }
            state.outcomes[index] = outcome
            return state.waiters.removeValue(forKey: index) ?? []
        }
        for waiter in waiters { waiter.resume(with: outcome.mapError { $0 }) }
    }

    func wait(for index: Int) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Result<AppendResult, ProducerError>? in
                if index < state.outcomes.count, let outcome = state.outcomes[index] { return outcome }
                state.waiters[index, default: []].append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome.mapError { $0 }) }
        }
    }
}
