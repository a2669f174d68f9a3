import Logging
import StreamQClient
import Synchronization

/// `streamq ship`: tails log files and appends their lines to a stream, exactly once.
///
/// Lines are read from files matched by globs and followed through rotation (by rename and by
/// copytruncate), deletion and truncation; each becomes a JSON record (see ``RecordEncoder``).
/// Progress is checkpointed only when acknowledged, and every append carries a deterministic
/// producer stamp (see ``FileProducer``), so after a crash the stream stores every line once.
/// Memory is bounded by ``ShipConfiguration/maxInFlightBytes``: past it reading waits, and the
/// files are the buffer.
public final class Shipper: Sendable {
    private let configuration: ShipConfiguration
    private let backend: any StreamBackend
    private let logger: Logger
    private let events: AsyncStream<ShipEvent>
    private let continuation: AsyncStream<ShipEvent>.Continuation
    private let failing = Mutex<(since: ContinuousClock.Instant, error: String)?>(nil)
    /// Whether a tick waits in the queue: at most one does, or a loop slower than the poll interval
    /// (many files, a busy machine) would fall ever further behind a queue of ticks and do nothing else.
    private let tickQueued = Atomic<Bool>(false)

    public init(
        configuration: ShipConfiguration,
        backend: any StreamBackend,
        logger: Logger = Logger(label: "streamq.ship")
    ) {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: ShipEvent.self)
    }

    /// Asks a running shipper to stop reading, wait up to the grace period for acknowledgements,
    /// write its checkpoint and return.
    public func stop() {
        continuation.yield(.stop)
    }

    /// Why the shipper is unhealthy, or nil: unhealthy once every append sent for
    /// `failingFor` has failed (the destination is down or refusing); the files are then the buffer.
    public func problem(failingFor threshold: Duration = .seconds(30)) -> String? {
        guard let failing = failing.withLock({ $0 }) else { return nil }
        let duration = ContinuousClock.now - failing.since
        guard duration >= threshold else { return nil }
        return "appends have failed for \(duration.components.seconds) s: \(failing.error)"
    }

    /// Ships until ``stop()`` (or, with `once`, until what the files held is acknowledged).
    /// Call once.
    /// - Throws: ``ShipError`` when the state directory, a file or the stream fails for good.
    public func run() async throws -> ShipSummary {
        let session = try await ShipSession(
            configuration: configuration,
            backend: backend,
            logger: logger,
            events: continuation
        )
        let interval = configuration.pollInterval
        let continuation = continuation
        let ticker = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if !tickQueued.exchange(true, ordering: .acquiringAndReleasing) { continuation.yield(.tick) }
            }
        }
        defer { ticker.cancel() }
        try session.pump()
        if !session.isFinished {
            for await event in events {
                switch event {
                case .tick:
                    tickQueued.store(false, ordering: .releasing)
                    try await session.tick()
                case .stop: session.requestStop()
                case .completions: try session.completeArrived()
                case .checkpointWritten(let version, let result):
                    try session.checkpointWritten(version: version, result: result)
                }
                try session.pump()
                failing.withLock { $0 = session.failingSince }
                if session.isFinished { break }
            }
        }
        try session.finish()
        return session.summary
    }
}
