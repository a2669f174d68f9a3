import StreamQStorage

/// Runs a query continuously over a stream in a ``StreamStore`` (`streamq query --follow`):
/// reads every shard in lineage order (parents before children, as consumers do), waits for new
/// records by notification, advances the watermark at least every `tick`, and emits as windows
/// close. It runs until cancelled or until LIMIT rows are out. With a ``QueryCheckpoint``
/// it resumes where the last run's checkpoint left off.
public struct FollowQueryRunner: Sendable {
    public var plan: QueryPlan
    public var store: StreamStore
    public var stream: StreamName
    /// Where reading starts when there is no checkpoint.
    public var start: StartingPosition
    public var idleTimeout: Int64
    public var tick: Duration
    public var checkpoint: QueryCheckpoint?

    public init(
        plan: QueryPlan, store: StreamStore, stream: StreamName, start: StartingPosition = .trimHorizon,
        idleTimeout: Int64 = ContinuousQuery.defaultIdleTimeout, tick: Duration = .milliseconds(250), checkpoint: QueryCheckpoint? = nil
    ) {
        self.plan = plan
        self.store = store
        self.stream = stream
        self.start = start
        self.idleTimeout = idleTimeout
        self.tick = tick
        self.checkpoint = checkpoint
    }

    /// Runs until the task is cancelled or the query's LIMIT is reached.
    /// - Parameters:
    ///   - emit: receives each batch of result rows, in emission order.
    ///   - reportErrors: receives rows skipped (errors and late rows) as they happen.
    /// - Returns: the counts, when it stops.
    public func run(
        emit: @Sendable ([[SQLValue]]) throws -> Void, reportErrors: @Sendable ([RowError]) -> Void
    ) async throws -> QueryStatistics {
        var state: FollowState
        if let saved = try checkpoint?.load(plan: plan, idleTimeout: idleTimeout) {
            state = saved
        } else {
            state = FollowState(query: ContinuousQuery(plan: plan, idleTimeout: idleTimeout))
        }
        try startReadyShards(&state)
        let clock = ContinuousClock()
        var lastSaved = clock.now
        while !Task.isCancelled && !state.query.isComplete {
            let progressed = try readAvailable(&state)
            let (rows, errors) = state.query.advance(now: Self.wallClock())
            if !errors.isEmpty { reportErrors(errors) }
            if !rows.isEmpty { try emit(rows) }
            // Saved right after rows go out, so a restart emits nothing twice (see QueryCheckpoint).
            if let checkpoint, !rows.isEmpty || progressed && clock.now - lastSaved > .seconds(1) {
                try checkpoint.save(state)
                lastSaved = clock.now
            }
            if !progressed { await waitForRecords(state) }
        }
        if let checkpoint { try checkpoint.save(state) }
        return state.query.statistics
    }

    /// Reads what every active shard has, up to a batch each.
    private func readAvailable(_ state: inout FollowState) throws -> Bool {
        var progressed = false
        for (shard, sequence) in state.positions.sorted(by: { $0.key < $1.key }) {
            let now = Self.wallClock()
            let result = try store.scan(ShardCursor(stream: stream, shard: shard, sequence: sequence), maxRecords: 5000) { record in
                state.query.add(
                    SQLRow(
                        data: record.data, arrivalMilliseconds: record.arrivalMilliseconds, partitionKey: record.partitionKey,
                        position: SequenceNumber(sequence: record.sequence, shard: shard)),
                    shard: shard, now: now)
            }
            if result.recordCount > 0 { progressed = true }
            if let next = result.next {
                state.positions[shard] = next.sequence
            } else {
                state.positions[shard] = nil
                state.finished.insert(shard)
                state.query.close(shard: shard)
                try startReadyShards(&state)
                progressed = true
            }
        }
        return progressed
    }

    /// Starts reading shards whose parents are all finished (or no longer stored).
    private func startReadyShards(_ state: inout FollowState) throws {
        let description = try store.describeStream(stream)
        let known = Set(description.shards.map(\.id))
        let now = Self.wallClock()
        for shard in description.shards where state.positions[shard.id] == nil && !state.finished.contains(shard.id) {
            guard shard.parents.allSatisfy({ state.finished.contains($0) || !known.contains($0) }) else { continue }
            let position: StartingPosition = shard.parents.isEmpty || !state.startedAny ? start : .trimHorizon
            state.positions[shard.id] = try store.cursor(stream: stream, shard: shard.id, at: position).sequence
            state.query.register(shard: shard.id, now: now)
        }
        state.startedAny = true
    }

    /// Waits until some shard may have records, a new shard appears, or a tick passes.
    private func waitForRecords(_ state: FollowState) async {
        let cursors = state.positions.map { ShardCursor(stream: stream, shard: $0.key, sequence: $0.value) }
        let store = self.store
        let tick = self.tick
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: tick) }
            for cursor in cursors {
                group.addTask { _ = try? await store.waitForRecords(at: cursor, timeout: tick) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    static func wallClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// Where a followed query is: per shard, the next sequence to read; the shards it has finished;
/// and the query's window state and watermarks.
struct FollowState: Sendable {
    var query: ContinuousQuery
    var positions: [ShardID: UInt64] = [:]
    var finished: Set<ShardID> = []
    var startedAny = false
}

#if canImport(Glibc)
import Glibc
#endif
