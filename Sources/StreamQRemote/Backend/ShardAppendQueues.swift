import StreamQStorage
import Synchronization

/// Appends queued per shard and sent one at a time, in the order queued, so a shard never has
/// two requests in flight and per-shard (hence per-key) order holds.
///
/// When an idempotent producer's append fails transiently (the producer will send it again with
/// the same stamp), the shard refuses that producer's later appends with `.outOfOrderSequence`
/// until the failed one comes back, as embedded storage does: the producer then resends them all
/// in stamp order, and nothing overtakes the failed records. A refused append that comes back
/// before the failed one means the producer gave the failed one up: the shard takes it then.
final class ShardAppendQueues: Sendable {
    struct Append: Sendable {
        var records: [AppendRecord]
        var producer: ProducerStamp?
        var completion: @Sendable (Result<SequenceNumber, any Error>) -> Void
    }

    private struct Queue: Sendable {
        var waiting: [Append] = []
        var running = false
        /// Per producer id, its append that failed transiently and must come first.
        var blocked: [UInt64: Block] = [:]
    }

    /// An append that failed transiently and the later ones refused meanwhile.
    private struct Block: Sendable {
        var stamp: UInt64
        var refused: Set<UInt64> = []
    }

    private let queues = Mutex<[ShardKey: Queue]>([:])
    private let send: @Sendable (ShardKey, [AppendRecord], ProducerStamp?) async -> Result<SequenceNumber, any Error>

    /// - Parameter send: stores one append's records (with its stamp, if any), returning the first
    ///   record's sequence number.
    init(
        send: @escaping @Sendable (ShardKey, [AppendRecord], ProducerStamp?) async -> Result<SequenceNumber, any Error>
    ) {
        self.send = send
    }

    func enqueue(_ append: Append, to key: ShardKey) {
        let start = queues.withLock { queues -> Bool in
            queues[key, default: Queue()].waiting.append(append)
            guard !queues[key]!.running else { return false }
            queues[key]!.running = true
            return true
        }
        if start { Task { await self.drain(key) } }
    }

    private enum Step {
        case send(Append)
        case refuse(Append, blockedAt: UInt64)
        case idle
    }

    private func drain(_ key: ShardKey) async {
        while true {
            let step = queues.withLock { queues -> Step in
                guard !queues[key]!.waiting.isEmpty else {
                    queues[key]!.running = false
                    return .idle
                }
                let append = queues[key]!.waiting.removeFirst()
                if let stamp = append.producer, let block = queues[key]!.blocked[stamp.producerID] {
                    if stamp.sequence > block.stamp && !block.refused.contains(stamp.sequence) {
                        queues[key]!.blocked[stamp.producerID]!.refused.insert(stamp.sequence)
                        return .refuse(append, blockedAt: block.stamp)
                    }
                    queues[key]!.blocked.removeValue(forKey: stamp.producerID)
                }
                return .send(append)
            }
            switch step {
            case .idle:
                return
            case .refuse(let append, let blockedAt):
                append.completion(
                    .failure(
                        StreamQStorageError(
                            .outOfOrderSequence,
                            "append \(append.producer!.sequence) to \(key.shard) of '\(key.stream)' waits for "
                                + "append \(blockedAt), which failed and has not been sent again"
                        )
                    )
                )
            case .send(let append):
                let result = await send(key, append.records, append.producer)
                if case .failure(let error) = result, error is KinesisTransientAppendError, let stamp = append.producer
                {
                    queues.withLock { $0[key]!.blocked[stamp.producerID] = Block(stamp: stamp.sequence) }
                }
                append.completion(result)
            }
        }
    }
}
