import Logging
import StreamQAWS
import StreamQStorage
import Synchronization

/// One shard's SubscribeToShard subscription, kept open for a reader of the shard through enhanced
/// fan-out: the records pushed are de-aggregated into a bounded buffer that reads take from, at
/// the cursor the buffer continues (``cursor``). When the service ends the subscription (AWS after
/// 5 minutes, `streamq serve` after its `--subscription-lifetime`) or the connection drops, it
/// subscribes again after the last event's ContinuationSequenceNumber; the event naming
/// ChildShards ends the shard.
///
/// It stops without failing when another subscription to the shard takes over, or when it ends
/// and nobody has read it for a while (a group member that lost the shard): the next read starts a
/// new one. A refusal of the service (after the client's retries) fails it: the next read throws.
final class ShardSubscription: Sendable {
    /// Whom to subscribe and how much to hold.
    struct Source: Sendable {
        var client: KinesisClient
        var consumerARN: String
        /// The service's shard id.
        var shardID: String
        var bufferBytes: Int
    }

    /// What a read at the subscription's cursor finds.
    enum Answer {
        /// Records, the shard's end (`next` nil), or none when caught up (`next` at the cursor).
        case fetched(KinesisBackend.Fetched)
        /// Nothing known yet: wait for ``changed`` and ask again.
        case pending
        case failed(any Error)
        /// Ended without failing: start a new subscription.
        case stopped
    }

    private struct State {
        /// Where the next read is: just past the records returned so far.
        var cursor: ShardCursor
        /// Arrived and not yet read (de-aggregated).
        var records: [StoredRecord] = []
        var bytes = 0
        /// The shards continuing this one, once its end arrived.
        var childShards: [ShardID]?
        var millisBehindLatest: Int64 = 0
        /// Whether an event arrived, so `millisBehindLatest` says whether the shard is caught up.
        var sawEvent = false
        var failure: (any Error)?
        var stopped = false
        var lastRead: ContinuousClock.Instant = .now
    }

    private let source: Source
    private let logger: Logger
    private let state: Mutex<State>
    private let pump = Mutex<Task<Void, Never>?>(nil)
    /// Wakes readers when events arrive, and the subscription when reads make room.
    let changed = ChangeSignal()

    /// Refusals of a new subscription because the previous one started less than 5 seconds ago
    /// that are waited out, one second apart.
    private static let refusalsWaited = 10
    /// Connection drops and service faults in a row (without an event between them) that are
    /// answered by subscribing again.
    private static let dropsRenewed = 5
    /// A subscription that ends when nobody has read it for this long is not renewed.
    private static let idleLimit: Duration = .seconds(30)

    init(cursor: ShardCursor, source: Source, logger: Logger) {
        self.source = source
        self.logger = logger
        state = Mutex(State(cursor: cursor))
    }

    /// Subscribes at `position` (where the cursor is) and keeps the subscription going.
    func start(from position: ShardPosition) {
        pump.withLock { $0 = Task { await self.run(from: position) } }
    }

    func cancel() { pump.withLock { $0?.cancel() } }

    /// The cursor of the next read.
    var cursor: ShardCursor { state.withLock { $0.cursor } }

    /// Whether reads at ``cursor`` can go on with this subscription.
    var isLive: Bool { state.withLock { $0.failure == nil && !$0.stopped } }

    /// Whether a read has something to return: records, the shard's end, or a failure.
    var hasAnswer: Bool {
        state.withLock { state in
            state.lastRead = .now
            return !state.records.isEmpty || state.childShards != nil || state.failure != nil
        }
    }

    /// Whether an event arrived (or the subscription failed or stopped).
    var isEstablished: Bool { state.withLock { $0.sawEvent || $0.failure != nil || $0.stopped } }

    /// Takes the first whole aggregates within the limits; see ``Answer``.
    func take(maxRecords: Int, maxBytes: Int) -> Answer {
        let answer = state.withLock { state -> Answer in
            state.lastRead = .now
            if let failure = state.failure { return .failed(failure) }
            if state.stopped { return .stopped }
            guard !state.records.isEmpty else {
                if let children = state.childShards {
                    return .fetched(.init(records: [], next: nil, childShards: children, millisBehindLatest: 0))
                }
                guard state.sawEvent && state.millisBehindLatest == 0 else { return .pending }
                return .fetched(.init(records: [], next: state.cursor, childShards: [], millisBehindLatest: 0))
            }
            let taken = state.records.wholeAggregatesPrefix(maxRecords: maxRecords, maxBytes: maxBytes)
            let records = Array(state.records[..<taken])
            state.records.removeFirst(taken)
            state.bytes -= Self.size(records)
            state.cursor.sequence = records[taken - 1].sequenceNumber.sequence + 1
            if state.records.isEmpty, let children = state.childShards {
                return .fetched(.init(records: records, next: nil, childShards: children, millisBehindLatest: 0))
            }
            return .fetched(
                .init(
                    records: records,
                    next: state.cursor,
                    childShards: [],
                    millisBehindLatest: state.millisBehindLatest
                )
            )
        }
        if case .fetched(let fetched) = answer, !fetched.records.isEmpty { changed.notify() }
        return answer
    }

    // MARK: Subscribing

    private func run(from start: ShardPosition) async {
        var position = start
        var refusals = 0
        var drops = 0
        while !Task.isCancelled {
            let events: SubscribeToShardEvents
            do {
                events = try await source.client.subscribeToShard(
                    consumerARN: source.consumerARN,
                    shardID: source.shardID,
                    startingPosition: position
                )
            } catch {
                if Task.isCancelled { return }
                if KinesisClientError.serviceError(of: error)?.code == "ResourceInUseException",
                    refusals < Self.refusalsWaited
                {
                    refusals += 1  // the previous subscription to the shard started less than 5 seconds ago
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                return end(failure: error)
            }
            refusals = 0
            do {
                for try await event in events {
                    drops = 0
                    guard await waitForRoom() else { return }
                    if try receive(event) { return }
                    if let continuation = event.continuationSequenceNumber {
                        position = .afterSequenceNumber(continuation)
                    }
                }
                // The service ended the subscription: its lifetime is over, or it shuts down.
                guard state.withLock({ ContinuousClock.now - $0.lastRead < Self.idleLimit }) else {
                    return end(failure: nil)
                }
            } catch {
                if Task.isCancelled { return }
                let code = KinesisClientError.serviceError(of: error)?.code
                if code == "ResourceInUseException" {
                    logger.debug("another subscription took the shard over", metadata: metadata)
                    return end(failure: nil)
                }
                drops += 1
                guard !(error is KinesisBackendError), code != "ResourceNotFoundException",
                    code != "AccessDeniedException", drops <= Self.dropsRenewed
                else { return end(failure: error) }
                logger.debug("subscribing again", metadata: metadata.merging(["reason": "\(error)"]) { $1 })
                try? await Task.sleep(for: .milliseconds(100 * drops))
            }
        }
    }

    /// Buffers an event's records; true when it ends the shard.
    private func receive(_ event: SubscribeToShardEvent) throws -> Bool {
        let shard = state.withLock { $0.cursor.shard }
        let records = try KinesisBackend.storedRecords(event.records, shard: shard)
        let children =
            event.continuationSequenceNumber == nil
            ? try event.childShards.map { try KinesisBackend.shardID($0.shardID) } : nil
        state.withLock { state in
            state.records += records
            state.bytes += Self.size(records)
            state.childShards = children
            state.millisBehindLatest = event.millisBehindLatest
            state.sawEvent = true
        }
        changed.notify()
        return children != nil
    }

    /// Waits until the buffer is below its bound; false when cancelled.
    private func waitForRoom() async -> Bool {
        while !Task.isCancelled {
            let version = changed.version
            if state.withLock({ $0.bytes < source.bufferBytes }) { return true }
            await changed.wait(afterVersion: version, timeout: .seconds(1))
        }
        return false
    }

    private func end(failure: (any Error)?) {
        state.withLock { state in
            if let failure {
                state.failure = failure
            } else {
                state.stopped = true
            }
        }
        changed.notify()
    }

    private var metadata: Logger.Metadata {
        let cursor = state.withLock { $0.cursor }
        return ["stream": "\(cursor.stream)", "shard": "\(cursor.shard)"]
    }

    private static func size(_ records: [StoredRecord]) -> Int {
        records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
    }
}
