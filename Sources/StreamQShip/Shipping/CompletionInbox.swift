import StreamQStorage
import Synchronization

/// Where appends' outcomes wait for the shipper's loop. Outcomes arrive one per append from the
/// stream's threads; the loop is woken once for all that arrive while it works, and takes them
/// together, so it reads files and sends appends once per wake-up rather than once per outcome
/// (with thousands of files, a pass over them per outcome was most of the loop's time).
final class CompletionInbox: Sendable {
    struct Completion: Sendable {
        var key: UInt64
        var sequence: UInt64
        var result: Result<SequenceNumber, any Error>
    }

    private let waiting = Mutex<[Completion]>([])
    private let events: AsyncStream<ShipEvent>.Continuation

    init(events: AsyncStream<ShipEvent>.Continuation) {
        self.events = events
    }

    /// Queues an outcome, waking the loop if nothing was queued yet.
    func post(_ completion: Completion) {
        let wasEmpty = waiting.withLock { queue in
            queue.append(completion)
            return queue.count == 1
        }
        if wasEmpty { events.yield(.completions) }
    }

    /// Every outcome queued, in the order they came.
    func takeAll() -> [Completion] {
        waiting.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
    }
}
