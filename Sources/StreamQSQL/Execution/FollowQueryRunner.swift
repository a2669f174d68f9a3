import StreamQClient
import StreamQStorage

/// Runs a query continuously over a stream in a ``StreamBackend`` (`streamq query --follow`):
/// reads every shard in lineage order (parents before children, as consumers do), several shards
/// at once with their records evaluated where they are read (``FollowEvaluator``), waits for new
/// records by notification, advances the watermark at least every `tick`, and emits as windows
/// close. It runs until cancelled or until LIMIT rows are out. With a ``QueryCheckpoint``
/// it resumes where the last run's checkpoint left off.
public struct FollowQueryRunner: Sendable {
    public var plan: QueryPlan
    public var backend: any StreamBackend
    public var stream: StreamName
    /// Where reading starts when there is no checkpoint.
    public var start: StartingPosition
    public var idleTimeout: Int64
    public var tick: Duration
    /// Stop (committing) once every shard has been read to its end, instead of waiting for more.
    public var stopWhenCaughtUp: Bool
    /// Where to continue when there is no saved state: per shard the next sequence, and the shards
    /// already read to their end (a replaced query taking over another's place).
    public var resumeAt: (positions: [ShardID: UInt64], finished: Set<ShardID>)?
    /// Windows ending at or before this event time are computed but not emitted (a replaced query
    /// catching up on history the query before it already emitted).
    public var emitsWindowsEndingAfter: Int64?
    /// Shards read and evaluated at once.
    public var parallelism: Int
    /// Read the shards in step: while catching up, each round reads from each shard a share of its
    /// backlog (the furthest-behind shard 5,000 records, the others in proportion), so all shards
    /// reach the present together instead of the short ones running ahead. A query whose rows become
    /// a stream needs this: it merges its source's shards into one sequence of rows, and shards read
    /// 5,000 records at a time drift apart in event time on uneven shards (by minutes over a long
    /// backlog), which the derived stream's readers would see as late rows.
    public var readsShardsInStep = false

    public init(
        plan: QueryPlan,
        backend: any StreamBackend,
        stream: StreamName,
        start: StartingPosition = .trimHorizon,
        idleTimeout: Int64 = ContinuousQuery.defaultIdleTimeout,
        tick: Duration = .milliseconds(250),
        stopWhenCaughtUp: Bool = false,
        parallelism: Int = 2
    ) {
        self.stopWhenCaughtUp = stopWhenCaughtUp
        self.parallelism = max(1, parallelism)
        self.plan = plan
        self.backend = backend
        self.stream = stream
        self.start = start
        self.idleTimeout = idleTimeout
        self.tick = tick
    }

    /// Runs until the task is cancelled or the query's LIMIT is reached, handing rows to `emit`.
    /// - Parameter checkpoint: when given, progress is saved there after every batch of rows (and
    ///   at least every second while reading), and a new run resumes from it.
    public func run(
        checkpoint: QueryCheckpoint? = nil,
        emit: @escaping @Sendable ([[SQLValue]]) throws -> Void,
        reportErrors: @escaping @Sendable ([RowError]) -> Void
    ) async throws -> QueryStatistics {
        try await run(output: StandardFollowOutput(checkpoint: checkpoint, emit: emit), reportErrors: reportErrors)
    }

    /// Runs until the task is cancelled or the query's LIMIT is reached, handing rows to `output`
    /// and committing its progress whenever `output` asks (and when it stops).
    public func run(
        output: some FollowOutput,
        reportErrors: @Sendable ([RowError]) -> Void
    ) async throws -> QueryStatistics {
        var state: FollowState
        if let saved = try await output.restore() {
            state = try FollowState(decoding: saved, plan: plan, idleTimeout: idleTimeout, origin: output.stateOrigin)
        } else {
            state = FollowState(query: ContinuousQuery(plan: plan, idleTimeout: idleTimeout))
            if let resumeAt {
                let now = Self.wallClock()
                state.positions = resumeAt.positions
                state.finished = resumeAt.finished
                state.startedAny = true
                for shard in resumeAt.positions.keys { state.query.register(shard: shard, now: now) }
            }
        }
        state.query.emitsWindowsEndingAfter = emitsWindowsEndingAfter
        try await startReadyShards(&state)
        var readers: [ShardID: FollowEvaluator] = [:]
        var uncommitted = false
        // The next round's reads, started before this round's rows go out (and its state is
        // committed), so reading and evaluating overlap with output; nil after a round that
        // found nothing (the runner then waits for records first).
        var nextRound: Task<[ShardRead], any Error>?
        defer { nextRound?.cancel() }
        while !Task.isCancelled && !state.query.isComplete {
            let progressed: Bool
            do {
                let round = try nextRound ?? startRound(&state, readers: &readers)
                nextRound = nil
                let reads = try await withTaskCancellationHandler {
                    try await round.value
                } onCancel: {
                    round.cancel()
                }
                progressed = try await apply(reads, to: &state, readers: &readers)
            } catch is CancellationError where Task.isCancelled {
                // Stopped inside a remote read: the round's batches are left out (positions and
                // state stay together as of the last round); emit and commit what was read before,
                // as any stop does, instead of throwing past the final commit.
                progressed = true
            }
            let now = Self.wallClock()
            // The next round is judged against the watermark as of now, as it would be if it
            // started after this round's output.
            state.query.moveWatermark(now: now)
            if progressed && !Task.isCancelled {
                nextRound = try startRound(&state, readers: &readers)
            }
            let (rows, errors) = state.query.takeOutput()
            if !errors.isEmpty { reportErrors(errors) }
            if !rows.isEmpty { try output.emit(rows, now: now) }
            uncommitted = uncommitted || progressed || !rows.isEmpty
            if uncommitted && output.shouldCommit(now: now, emitted: !rows.isEmpty) {
                // The state holds this round and not the next one's reads, whose positions it
                // does not have either.
                try await output.commit(state: try state.encoded())
                uncommitted = false
            }
            if !progressed {
                if stopWhenCaughtUp { break }
                await waitForRecords(state)
            }
        }
        if let round = nextRound {  // read after the last round: left out, as it is of the state
            round.cancel()
            _ = try? await round.value
            nextRound = nil
        }
        try await output.commit(state: try state.encoded())
        return state.query.statistics
    }

    /// Starts reading what every active shard has, up to a batch each, on a task of its own.
    private func startRound(
        _ state: inout FollowState,
        readers: inout [ShardID: FollowEvaluator]
    ) throws -> Task<[ShardRead], any Error> {
        let shards = state.positions.sorted(by: { $0.key < $1.key })
        var evaluators: [FollowEvaluator] = []
        for (shard, _) in shards {
            evaluators.append(try readers.removeValue(forKey: shard) ?? state.query.makeEvaluator())
        }
        let watermark = state.query.batchWatermark
        let inStep = readsShardsInStep
        return Task { try await readRound(shards, evaluators: evaluators, watermark: watermark, inStep: inStep) }
    }

    /// Reads `shards` from their positions, up to a batch each, on up to `parallelism` tasks at
    /// once, each batch evaluated against `watermark` by the shard's evaluator; in shard order.
    private func readRound(
        _ shards: [(key: ShardID, value: UInt64)],
        evaluators: [FollowEvaluator],
        watermark: Int64,
        inStep: Bool
    ) async throws -> [ShardRead] {
        var reads = [ShardRead?](repeating: nil, count: shards.count)
        let limits = inStep ? try await limitsInStep(shards) : Array(repeating: Self.batchRecords, count: shards.count)
        try await withThrowingTaskGroup(of: (Int, ShardRead).self) { group in
            var next = 0
            func startNext() {
                guard next < shards.count else { return }
                let index = next
                let (shard, sequence) = shards[index]
                let evaluator = evaluators[index]
                group.addTask {
                    (
                        index,
                        try await read(
                            shard,
                            from: sequence,
                            evaluator: evaluator,
                            watermark: watermark,
                            limit: limits[index]
                        )
                    )
                }
                next += 1
            }
            for _ in 0..<parallelism { startNext() }
            while let (index, read) = try await group.next() {
                reads[index] = read
                startNext()
            }
        }
        return reads.map { $0! }
    }

    /// Applies a round's batches in shard order, as one reader going through the shards in turn
    /// would have read them, and moves on to the shards whose parents have ended.
    /// - Returns: whether anything was read or a shard ended.
    private func apply(
        _ reads: [ShardRead],
        to state: inout FollowState,
        readers: inout [ShardID: FollowEvaluator]
    ) async throws -> Bool {
        var progressed = false
        for read in reads {
            let shard = read.batch.shard
            state.query.apply(read.batch)
            if read.batch.records > 0 { progressed = true }
            if let next = read.next {
                state.positions[shard] = next.sequence
                readers[shard] = read.evaluator
            } else {
                state.positions[shard] = nil
                state.finished.insert(shard)
                state.query.close(shard: shard)
                try await startReadyShards(&state)
                progressed = true
            }
        }
        return progressed
    }

    /// One shard's batch, evaluated, and where the shard's next batch starts (nil: it ended).
    private struct ShardRead: Sendable {
        var evaluator: FollowEvaluator
        var batch: FollowBatch
        var next: ShardCursor?
    }

    /// Reads and evaluates up to a batch of `shard`'s records from `sequence`.
    private func read(
        _ shard: ShardID,
        from sequence: UInt64,
        evaluator: FollowEvaluator,
        watermark: Int64,
        limit: Int
    ) async throws -> ShardRead {
        var evaluator = evaluator
        var batch = evaluator.makeBatch(shard: shard, now: Self.wallClock(), watermark: watermark)
        let result = try await backend.scan(
            ShardCursor(stream: stream, shard: shard, sequence: sequence),
            maxRecords: limit,
            maxBytes: 10 << 20
        ) { record in
            evaluator.add(record, to: &batch)
        }
        evaluator.finish(batch)
        return ShardRead(evaluator: evaluator, batch: batch, next: result.next)
    }

    /// Records read from one shard in one round, at most.
    private static let batchRecords = 5000

    /// Per shard, a share of its backlog: a full batch for the furthest behind, the others in
    /// proportion (at least one record), so every shard reaches its end in the same round.
    private func limitsInStep(_ shards: [(key: ShardID, value: UInt64)]) async throws -> [Int] {
        var backlogs: [UInt64] = []
        for (shard, sequence) in shards {
            let tip = try await backend.cursor(stream: stream, shard: shard, at: .latest).sequence
            backlogs.append(tip > sequence ? tip - sequence : 0)
        }
        let largest = Double(max(backlogs.max() ?? 0, 1))
        return backlogs.map { backlog in
            max(1, Int((Double(Self.batchRecords) * Double(backlog) / largest).rounded(.up)))
        }
    }

    /// Starts reading shards whose parents are all finished (or no longer stored).
    private func startReadyShards(_ state: inout FollowState) async throws {
        let description = try await backend.describeStream(stream)
        let known = Set(description.shards.map(\.id))
        let now = Self.wallClock()
        for shard in description.shards where state.positions[shard.id] == nil && !state.finished.contains(shard.id) {
            guard shard.parents.allSatisfy({ state.finished.contains($0) || !known.contains($0) }) else { continue }
            let position: StartingPosition = shard.parents.isEmpty || !state.startedAny ? start : .trimHorizon
            state.positions[shard.id] = try await backend.cursor(stream: stream, shard: shard.id, at: position).sequence
            state.query.register(shard: shard.id, now: now)
        }
        state.startedAny = true
    }

    /// Waits until some shard may have records, a new shard appears, or a tick passes.
    private func waitForRecords(_ state: FollowState) async {
        let cursors = state.positions.map { ShardCursor(stream: stream, shard: $0.key, sequence: $0.value) }
        let backend = self.backend
        let tick = self.tick
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: tick) }
            for cursor in cursors {
                group.addTask { _ = try? await backend.waitForRecords(at: cursor, timeout: tick) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Milliseconds since the epoch, from the real-time clock.
    public static func wallClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// Where a follow query's rows go, and where its progress is saved with them.
public protocol FollowOutput: AnyObject {
    /// Names where the state comes from, for errors (a checkpoint file, a sink's manifest).
    var stateOrigin: String { get }
    /// The state saved by the last commit, to resume from; nil for a first run.
    func restore() async throws -> [UInt8]?
    func emit(_ rows: [[SQLValue]], now: Int64) throws
    /// Whether to commit now (`emitted`: rows went out in this round).
    func shouldCommit(now: Int64, emitted: Bool) -> Bool
    /// Makes the rows emitted so far durable together with `state` (an upload, for a sink into S3).
    func commit(state: [UInt8]) async throws
}

/// Rows to a closure (stdout); the state, when named, to a ``QueryCheckpoint`` after every batch
/// of rows and at least every second.
public final class StandardFollowOutput: FollowOutput, @unchecked Sendable {
    let checkpoint: QueryCheckpoint?
    let emitRows: ([[SQLValue]]) throws -> Void
    private var lastCommit: Int64 = 0

    public init(checkpoint: QueryCheckpoint?, emit: @escaping ([[SQLValue]]) throws -> Void) {
        self.checkpoint = checkpoint
        emitRows = emit
    }

    public var stateOrigin: String { checkpoint?.path ?? "" }
    public func restore() throws -> [UInt8]? { try checkpoint?.load() }
    public func emit(_ rows: [[SQLValue]], now: Int64) throws { try emitRows(rows) }
    public func shouldCommit(now: Int64, emitted: Bool) -> Bool {
        checkpoint != nil && (emitted || now - lastCommit >= 1000)
    }

    public func commit(state: [UInt8]) throws {
        lastCommit = FollowQueryRunner.wallClock()
        try checkpoint?.save(state)
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
