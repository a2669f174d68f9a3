import Synchronization

/// Who holds each (consumer, shard) subscription. A second SubscribeToShard within 5 seconds is
/// refused; a later one takes over, and the one it replaces ends with ResourceInUseException.
final class SubscriptionRegistry: Sendable {
    struct Key: Hashable {
        var consumerARN: String
        var shard: String
    }

    private struct Holder {
        var id: UInt64
        var started: ContinuousClock.Instant
    }

    private struct State {
        var holders: [Key: Holder] = [:]
        var nextID: UInt64 = 1
        var replaced: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// Starts a subscription; nil when another one started less than 5 seconds ago.
    func start(_ key: Key) -> UInt64? {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let holder = state.holders[key] {
                guard now - holder.started >= .seconds(5) else { return nil }
                state.replaced.insert(holder.id)
            }
            let id = state.nextID
            state.nextID += 1
            state.holders[key] = Holder(id: id, started: now)
            return id
        }
    }

    /// Whether a newer subscription took this one's place.
    func isReplaced(_ id: UInt64) -> Bool {
        state.withLock { $0.replaced.contains(id) }
    }

    func end(_ key: Key, id: UInt64) {
        state.withLock { state in
            state.replaced.remove(id)
            if state.holders[key]?.id == id { state.holders.removeValue(forKey: key) }
        }
    }
}
