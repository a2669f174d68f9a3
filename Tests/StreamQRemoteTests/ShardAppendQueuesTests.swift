import StreamQClient
import StreamQStorage
import Synchronization
import Testing

@testable import StreamQRemote

/// The per-shard append queue's order rules, with a stand-in for PutRecords.
@Suite(.timeLimit(.minutes(3))) struct ShardAppendQueuesTests {
    let key = ShardKey(stream: StreamName(rawValue: "events")!, shard: ShardID(0))

    /// Queues appends stamped `stamps` by producer 7, in order, and waits for every outcome.
    func outcomes(_ queues: ShardAppendQueues, stamps: [UInt64]) async -> [UInt64: Result<SequenceNumber, any Error>] {
        let results = Shared<[UInt64: Result<SequenceNumber, any Error>]>([:])
        for stamp in stamps {
            queues.enqueue(
                ShardAppendQueues.Append(
                    records: [AppendRecord(partitionKey: "k", data: "\(stamp)")],
                    producer: ProducerStamp(producerID: 7, sequence: stamp),
                    completion: { outcome in results.value.withLock { $0[stamp] = outcome } }
                ),
                to: key
            )
        }
        while results.value.withLock({ $0.count }) < stamps.count { try? await Task.sleep(for: .milliseconds(1)) }
        return results.value.withLock { $0 }
    }

    @Test func laterAppendsWaitForOneThatFailedTransiently() async {
        let sent = Shared<[String]>([])
        let failing = Shared<Set<String>>(["1", "4"])  // fail once each
        let queues = ShardAppendQueues { _, records, _ in
            let data = String(decoding: records[0].data, as: UTF8.self)
            if failing.value.withLock({ $0.remove(data) }) != nil {
                return .failure(KinesisTransientAppendError(underlying: CancellationError()))
            }
            sent.value.withLock { $0.append(data) }
            return .success(SequenceNumber(sequence: UInt64(data)!, shard: ShardID(0)))
        }
        func isTransient(_ result: Result<SequenceNumber, any Error>?) -> Bool {
            guard case .failure(let error) = result else { return false }
            return error is KinesisTransientAppendError
        }
        func isOutOfOrder(_ result: Result<SequenceNumber, any Error>?) -> Bool {
            guard case .failure(let error as StreamQStorageError) = result else { return false }
            return error.code == .outOfOrderSequence
        }
        var first = await outcomes(queues, stamps: [0, 1, 2, 3])
        #expect((try? first[0]?.get()) != nil)
        #expect(isTransient(first[1]))
        #expect(isOutOfOrder(first[2]) && isOutOfOrder(first[3]))
        // The producer sends them again in stamp order: all are stored, in order.
        first = await outcomes(queues, stamps: [1, 2, 3])
        #expect(first.values.allSatisfy { (try? $0.get()) != nil })
        #expect(sent.value.withLock { $0 } == ["0", "1", "2", "3"])

        // 4 fails and is given up by the producer: 5, refused once, is taken when it comes back.
        let second = await outcomes(queues, stamps: [4, 5])
        #expect(isTransient(second[4]) && isOutOfOrder(second[5]))
        let again = await outcomes(queues, stamps: [5])
        #expect((try? again[5]?.get()) != nil)
        #expect(sent.value.withLock { $0 } == ["0", "1", "2", "3", "5"])
    }
}
