/// Identifies an idempotent producer's append to one shard, so that a retry after a lost
/// acknowledgement is recognised and not stored twice.
///
/// `sequence` numbers the producer's appends to that shard: 0, 1, 2, … with no gaps.
public struct ProducerStamp: Sendable, Hashable {
    /// Random per producer instance; 0 means "not idempotent" and is not accepted here.
    public var producerID: UInt64
    public var sequence: UInt64

    public init(producerID: UInt64, sequence: UInt64) {
        self.producerID = producerID
        self.sequence = sequence
    }
}

/// The recent appends of every idempotent producer to one shard (Kafka keeps five per producer),
/// rebuilt from batch headers when the shard is opened.
struct ProducerDeduplication {
    static let window = 5
    static let maxProducers = 10_000

    private struct History {
        var lastSequence: UInt64
        /// (producer sequence, first shard sequence, record count), oldest first.
        var recent: [(sequence: UInt64, base: UInt64, count: UInt64)]
        var lastUsed: UInt64
    }

    private var producers: [UInt64: History] = [:]
    private var clock: UInt64 = 0

    enum Decision: Equatable {
        case append
        /// Already stored: the original first sequence.
        case duplicate(base: UInt64)
    }

    /// Decides what to do with an append stamped `stamp` carrying `count` records.
    func check(_ stamp: ProducerStamp, count: Int) throws -> Decision {
        guard let history = producers[stamp.producerID] else { return .append }
        if stamp.sequence == history.lastSequence + 1 { return .append }
        if stamp.sequence <= history.lastSequence {
            if let match = history.recent.first(where: { $0.sequence == stamp.sequence }), match.count == UInt64(count)
            {
                return .duplicate(base: match.base)
            }
            throw StreamQStorageError(
                .duplicateSequence,
                "producer \(stamp.producerID) append \(stamp.sequence) is older than the last \(Self.window) this shard remembers (last \(history.lastSequence))"
            )
        }
        throw StreamQStorageError(
            .outOfOrderSequence,
            "producer \(stamp.producerID) append \(stamp.sequence) skips ahead of \(history.lastSequence + 1)"
        )
    }

    /// Remembers a stored append. Batches of one append that was split share its stamp.
    mutating func record(_ stamp: ProducerStamp, base: UInt64, count: UInt64) {
        clock &+= 1
        var history = producers[stamp.producerID] ?? History(lastSequence: stamp.sequence, recent: [], lastUsed: clock)
        if let last = history.recent.last, last.sequence == stamp.sequence, last.base + last.count == base {
            history.recent[history.recent.count - 1].count += count  // another part of the same append
        } else {
            history.recent.append((stamp.sequence, base, count))
            if history.recent.count > Self.window { history.recent.removeFirst() }
        }
        history.lastSequence = max(history.lastSequence, stamp.sequence)
        history.lastUsed = clock
        producers[stamp.producerID] = history
        if producers.count > Self.maxProducers,
            let stalest = producers.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key
        {
            producers.removeValue(forKey: stalest)
        }
    }

    /// Rebuilds state from a batch header found on disk.
    mutating func replay(_ header: BatchHeader) {
        guard header.producerID != 0 else { return }
        record(
            ProducerStamp(producerID: header.producerID, sequence: header.producerSequence),
            base: header.baseSequence,
            count: UInt64(header.recordCount)
        )
    }
}
