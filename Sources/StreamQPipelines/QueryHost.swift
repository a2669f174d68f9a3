import Logging
import StreamQSQL
import StreamQStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs every persistent query of a data directory (`streamq serve`, `streamq run`): starts those
/// whose definition says running, from their checkpoints; restarts one that fails, with backoff
/// (1 s doubling to a minute), keeping its error; stops one whose definition says stopped or is
/// removed; and on cancellation stops them all, each committing its progress first.
///
/// It looks at the catalog every `pollInterval`, so definitions written by another process (the
/// CLI) are picked up without a restart; ``nudge()`` makes it look at once.
public final class QueryHost: Sendable {
    private let store: StreamStore
    private let catalog: QueryCatalog
    private let logger: Logger
    private let pollInterval: Duration
    private let idleTimeout: Int64
    private let running = Mutex<[String: Hosted]>([:])
    /// What this host last said of each query it has run; every status file it writes goes
    /// through here, under this lock, so a heartbeat never overwrites a run's last word.
    private let statuses = Mutex<[String: QueryStatus]>([:])
    private let wakeUp = Mutex<CheckedContinuation<Void, Never>?>(nil)

    private struct Hosted {
        var definition: QueryDefinition
        var task: Task<Void, Never>
    }

    public init(
        store: StreamStore,
        logger: Logger = Logger(label: "streamq.queries"),
        pollInterval: Duration = .milliseconds(500),
        idleTimeout: Int64 = ContinuousQuery.defaultIdleTimeout
    ) {
        self.store = store
        catalog = QueryCatalog(dataDirectory: store.directory)
        self.logger = logger
        self.pollInterval = pollInterval
        self.idleTimeout = idleTimeout
    }

    /// Hosts the catalog's queries until the task is cancelled, then stops each and waits for it.
    public func run() async {
        while !Task.isCancelled {
            reconcile()
            await sleepUntilNudged()
        }
        let stopping = running.withLock { hosted in
            defer { hosted = [:] }
            return Array(hosted.values)
        }
        for query in stopping { query.task.cancel() }
        for query in stopping { await query.task.value }
    }

    /// Makes the host look at the catalog now (after a statement changed it).
    public func nudge() {
        wakeUp.withLock { continuation in
            continuation?.resume()
            continuation = nil
        }
    }

    private func sleepUntilNudged() async {
        let interval = pollInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let cancelled = self.wakeUp.withLock { slot in
                            // Cancelled before the continuation was stored: nobody would resume it.
                            if Task.isCancelled { return true }
                            slot?.resume()
                            slot = continuation
                            return false
                        }
                        if cancelled { continuation.resume() }
                    }
                } onCancel: {
                    self.nudge()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Starts, stops and restarts queries to match the catalog.
    private func reconcile() {
        let definitions: [QueryDefinition]
        do {
            definitions = try catalog.definitions()
        } catch {
            logger.error("cannot read the query catalog", metadata: ["error": "\(error)"])
            return
        }
        let wanted = Dictionary(
            definitions.filter { $0.desiredState == .running }.map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        let stale = running.withLock { hosted in
            let stale = hosted.filter { name, query in wanted[name] != query.definition }
            for name in stale.keys { hosted[name] = nil }
            return Array(stale.values)
        }
        for query in stale {
            query.task.cancel()
        }
        for definition in definitions where wanted[definition.name] == nil {
            // This host's own runs say `stopped` themselves once they have committed.
            let status = catalog.status(of: definition.name)
            guard status?.state != .stopped, status?.hostProcess != getpid() else { continue }
            writeStatus(definition.name, state: .stopped, error: status?.lastError, failures: status?.failures ?? 0)
        }
        for (name, definition) in wanted {
            let previous = stale.first { $0.definition.name == name }
            running.withLock { hosted in
                guard hosted[name] == nil else { return }
                let task = Task {
                    // A replaced definition starts once the old run has committed and stopped.
                    await previous?.task.value
                    await self.supervise(definition)
                }
                hosted[name] = Hosted(definition: definition, task: task)
            }
        }
        heartbeat()
    }

    /// Runs one query until cancelled, restarting it with backoff when it fails.
    private func supervise(_ definition: QueryDefinition) async {
        var failures = 0
        var backoff: Duration = .seconds(1)
        var lastError: String?
        while !Task.isCancelled {
            let query = PersistentQuery(
                definition: definition,
                store: store,
                catalog: catalog,
                idleTimeout: idleTimeout
            )
            let (errorSoFar, failuresSoFar) = (lastError, failures)
            do {
                try await query.run {
                    self.writeStatus(definition.name, state: .running, error: errorSoFar, failures: failuresSoFar)
                }
                break
            } catch {
                if Task.isCancelled { break }
                failures += 1
                lastError = Self.describe(error)
                logger.error(
                    "persistent query failed; restarting",
                    metadata: ["query": "\(definition.name)", "error": "\(lastError ?? "")", "in": "\(backoff)"]
                )
                writeStatus(definition.name, state: .failed, error: lastError, failures: failures)
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(60))
            }
        }
        writeStatus(definition.name, state: .stopped, error: lastError, failures: failures)
    }

    private func writeStatus(_ name: String, state: QueryStatus.State, error: String?, failures: Int) {
        let status = QueryStatus(
            state: state,
            lastError: error,
            failures: failures,
            hostProcess: getpid(),
            updatedAt: FollowQueryRunner.wallClock()
        )
        statuses.withLock { statuses in
            statuses[name] = status
            save(status, of: name)
        }
    }

    /// Tells other processes this host still runs its queries (also one that is stopping, until its
    /// run says `stopped`): each status not stopped is written again once it is a second old.
    private func heartbeat() {
        let now = FollowQueryRunner.wallClock()
        statuses.withLock { statuses in
            for (name, var status) in statuses where status.state != .stopped && now - status.updatedAt >= 1000 {
                status.updatedAt = now
                statuses[name] = status
                save(status, of: name)
            }
        }
    }

    private func save(_ status: QueryStatus, of name: String) {
        do {
            try catalog.saveStatus(status, of: name)
        } catch {
            logger.warning("cannot save a query's status", metadata: ["query": "\(name)", "error": "\(error)"])
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PipelineError: error.message
        case let error as StreamQStorageError: error.message
        case let error as SQLError: error.message
        default: "\(error)"
        }
    }
}
