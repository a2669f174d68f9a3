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
/// different shards (after a reshard), so outcomes are kept per run of records stored together,
/// and per record for failures.
final class BatchPromise: Sendable {
    private struct State {
        /// Records `range` were stored with consecutive sequence numbers from `first`.
        var stored: [(range: Range<Int>, first: SequenceNumber)] = []
        var failed: [Int: ProducerError] = [:]
        var waiters: [Int: [CheckedContinuation<AppendResult, any Error>]] = [:]

        func outcome(_ index: Int) -> Result<AppendResult, ProducerError>? {
            if let run = stored.first(where: { $0.range.contains(index) }) {
                let sequence = run.first.sequence + UInt64(index - run.range.lowerBound)
                return .success(
                    AppendResult(
                        shard: run.first.shard,
                        sequenceNumber: SequenceNumber(sequence: sequence, shard: run.first.shard)
                    )
                )
            }
            return failed[index].map { .failure($0) }
        }

        mutating func takeWaiters(_ range: Range<Int>) -> [(Int, [CheckedContinuation<AppendResult, any Error>])] {
            guard !waiters.isEmpty else { return [] }
            let ready = waiters.keys.filter(range.contains)
            return ready.map { ($0, waiters.removeValue(forKey: $0)!) }
        }
    }
    private let state = Mutex(State())

    /// Records `range` were stored, the first at `first` and the rest densely after it.
    func resolveStored(_ range: Range<Int>, first: SequenceNumber) {
        let ready = state.withLock { state in
            state.stored.append((range, first))
            return state.takeWaiters(range).map { index, continuations in (state.outcome(index)!, continuations) }
        }
        for (outcome, continuations) in ready {
            for continuation in continuations { continuation.resume(with: outcome.mapError { $0 }) }
        }
    }

    func resolveFailed(_ index: Int, _ error: ProducerError) {
        let waiters = state.withLock { state in
            state.failed[index] = error
            return state.waiters.removeValue(forKey: index) ?? []
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    func wait(for index: Int) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Result<AppendResult, ProducerError>? in
                if let outcome = state.outcome(index) { return outcome }
                state.waiters[index, default: []].append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome.mapError { $0 }) }
        }
    }
}
