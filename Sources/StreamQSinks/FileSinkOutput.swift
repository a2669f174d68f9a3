import StreamQSQL

/// A follow query's output into a ``FileSink``: rows go into the open files, and a commit (when the
/// sink rolls: size, age, inactivity, or the query stopping) publishes them together with the
/// query's state in one manifest entry. A restarted query resumes from that entry, so the files
/// hold each row exactly once. Used by one task at a time, like its sink.
public final class FileSinkOutput: FollowOutput, @unchecked Sendable {
    public let sink: FileSink

    public init(sink: FileSink) { self.sink = sink }

    public var stateOrigin: String { sink.storage.location + "/_manifest" }
    public func restore() async throws -> [UInt8]? {
        let state = try await sink.recover()
        // Commits without a state are a bounded run's: following on would write its rows again.
        if state == nil && sink.hasCommits {
            throw SinkError("\(sink.destination.root) holds a bounded query's results; follow into another directory")
        }
        return state
    }
    public func emit(_ rows: [[SQLValue]], now: Int64) throws { try sink.write(rows, now: now) }
    public func shouldCommit(now: Int64, emitted: Bool) -> Bool { sink.shouldCommit(now: now) }
    /// Commits in a task of its own: the commit when the query stops (Ctrl-C, SIGTERM) runs after
    /// the query's task is cancelled, and an upload must not be cut short by that.
    public func commit(state: [UInt8]) async throws {
        let sink = self.sink
        try await Task { try await sink.commit(state: state) }.value
    }
}
