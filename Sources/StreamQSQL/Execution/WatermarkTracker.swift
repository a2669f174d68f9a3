import StreamQStorage

/// Event-time progress of a followed stream. Each shard's watermark is the newest event time it
/// has delivered minus the delay; the query's watermark is the oldest of those over shards that
/// are open and not idle, and never moves back.
///
/// A shard is idle when it has delivered nothing for `idleTimeout` (wall clock); it then stops
/// holding the watermark back. When every shard is idle, the watermark follows the wall clock
/// (now − delay), so the last windows of a quiet stream still close.
struct WatermarkTracker: Sendable, Codable {
    struct ShardClock: Sendable, Codable {
        var newestEventTime: Int64?
        var lastActivity: Int64
        var closed = false
    }

    let delay: Int64
    let idleTimeout: Int64
    private(set) var shards: [ShardID: ShardClock] = [:]
    /// The query's watermark (Int64.min until every active shard has delivered a row).
    private(set) var current: Int64 = .min

    init(delay: Int64, idleTimeout: Int64) {
        self.delay = delay
        self.idleTimeout = idleTimeout
    }

    /// A shard the query reads from now on (it holds the watermark until it delivers or idles).
    mutating func register(_ shard: ShardID, now: Int64) {
        if shards[shard] == nil { shards[shard] = ShardClock(lastActivity: now) }
    }

    mutating func observe(_ shard: ShardID, eventTime: Int64, now: Int64) {
        var clock = shards[shard] ?? ShardClock(lastActivity: now)
        clock.newestEventTime = max(clock.newestEventTime ?? .min, eventTime)
        clock.lastActivity = now
        shards[shard] = clock
    }

    /// Notes that a shard delivered records (with or without event times), so it is not idle.
    mutating func touch(_ shard: ShardID, now: Int64) {
        shards[shard, default: ShardClock(lastActivity: now)].lastActivity = now
    }

    /// Restarts the idle clocks of a query resumed from a checkpoint: the time it was not running
    /// is not silence on the shards, and counting it would let the watermark jump to the wall
    /// clock before the backlog is read, turning every waiting record late.
    mutating func resume(now: Int64) {
        for shard in shards.keys { shards[shard]?.lastActivity = now }
    }

    /// A shard that has ended (split or merged): it no longer holds the watermark back.
    mutating func close(_ shard: ShardID) { shards[shard]?.closed = true }

    /// Recomputes the watermark as of `now`.
    @discardableResult
    mutating func advance(now: Int64) -> Int64 {
        var oldest: Int64?
        var waiting = false
        for clock in shards.values where !clock.closed && now - clock.lastActivity < idleTimeout {
            guard let newest = clock.newestEventTime else {
                waiting = true  // an active shard that has not delivered a row yet holds everything
                continue
            }
            oldest = min(oldest ?? .max, newest - delay)
        }
        if waiting { return current }
        if let oldest {
            current = max(current, oldest)
        } else if !shards.isEmpty {
            current = max(current, now - delay)  // every shard idle or closed: follow the wall clock
        }
        return current
    }
}
