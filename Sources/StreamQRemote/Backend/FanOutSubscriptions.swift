import Logging
import StreamQStorage
import Synchronization

/// How a ``KinesisBackend`` with a consumer name reads open shards: through enhanced fan-out, one
/// ``ShardSubscription`` per shard being read. A read or wait at the cursor where the shard's
/// subscription continues takes from it; at another cursor (or after the subscription failed or
/// stopped) a new subscription starts there, replacing the old one.
final class FanOutSubscriptions: Sendable {
    /// Where a new subscription for a cursor starts.
    struct Start: Sendable {
        /// The service's shard id.
        var shardID: String
        var position: ShardPosition
    }

    private let client: KinesisClient
    private let consumers: FanOutConsumerRegistry
    private let bufferBytes: Int
    private let logger: Logger
    private let subscriptions = Mutex<[ShardKey: ShardSubscription]>([:])

    init(client: KinesisClient, consumerName: String, bufferBytes: Int, logger: Logger) {
        self.client = client
        consumers = FanOutConsumerRegistry(client: client, consumerName: consumerName)
        self.bufferBytes = bufferBytes
        self.logger = logger
    }

    /// Whether the shard is read through a subscription (which goes on after the shard closed).
    func isSubscribed(_ key: ShardKey) -> Bool { subscriptions.withLock { $0[key] != nil } }

    /// Records from `cursor` as they arrive: waits until some came, the shard ended, or the
    /// subscription reports the shard caught up (an empty result).
    func read(
        _ cursor: ShardCursor,
        start: Start,
        maxRecords: Int,
        maxBytes: Int
    ) async throws
        -> KinesisBackend.Fetched
    {
        while true {
            let subscription = try await self.subscription(at: cursor, start)
            let version = subscription.changed.version
            switch subscription.take(maxRecords: maxRecords, maxBytes: maxBytes) {
            case .fetched(let fetched): return fetched
            case .failed(let error): throw error
            case .stopped: continue
            case .pending: await subscription.changed.wait(afterVersion: version, timeout: .seconds(1))
            }
            try Task.checkCancellation()
        }
    }

    /// Returns as soon as records at `cursor` arrived or the shard ended (true), or after `timeout`.
    func waitForRecords(at cursor: ShardCursor, start: Start, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let subscription = try await self.subscription(at: cursor, start)
            let version = subscription.changed.version
            if subscription.hasAnswer { return true }
            let now = ContinuousClock.now
            guard now < deadline, !Task.isCancelled else { return false }
            await subscription.changed.wait(afterVersion: version, timeout: min(deadline - now, .seconds(1)))
        }
    }

    /// Subscribes at `cursor` and returns once the first event came, so that every record stored
    /// from then on is read: what a cursor at LATEST needs.
    func subscribe(at cursor: ShardCursor, start: Start) async throws {
        let subscription = try await self.subscription(at: cursor, start)
        while true {
            let version = subscription.changed.version
            if subscription.isEstablished { return }
            await subscription.changed.wait(afterVersion: version, timeout: .seconds(1))
            try Task.checkCancellation()
        }
    }

    /// Ends every subscription.
    func cancelAll() {
        for subscription in subscriptions.withLock({ $0.values }) { subscription.cancel() }
    }

    /// The live subscription continuing at `cursor`, or a new one started there.
    private func subscription(at cursor: ShardCursor, _ start: Start) async throws -> ShardSubscription {
        let key = ShardKey(stream: cursor.stream, shard: cursor.shard)
        if let current = subscriptions.withLock({ $0[key] }), current.isLive, current.cursor == cursor {
            return current
        }
        let source = ShardSubscription.Source(
            client: client,
            consumerARN: try await consumers.consumerARN(on: cursor.stream),
            shardID: start.shardID,
            bufferBytes: bufferBytes
        )
        let fresh = ShardSubscription(cursor: cursor, source: source, logger: logger)
        let replaced = subscriptions.withLock { subscriptions in
            defer { subscriptions[key] = fresh }
            return subscriptions[key]
        }
        replaced?.cancel()
        fresh.start(from: start.position)
        return fresh
    }
}
