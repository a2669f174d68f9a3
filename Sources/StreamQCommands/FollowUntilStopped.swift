import StreamQSQL
import StreamQSinks
import UnixSignals

extension FollowQueryRunner {
    /// Runs until Ctrl-C or SIGTERM (then the runner commits and returns), LIMIT, or, with
    /// `stopWhenCaughtUp`, the end of the stream. Signals are trapped before anything is read, so a
    /// stop always commits.
    func runUntilStopped(
        output: some FollowOutput & Sendable,
        reportErrors: @escaping @Sendable ([RowError]) -> Void
    ) async throws
        -> QueryStatistics
    {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return try await withThrowingTaskGroup(of: QueryStatistics?.self) { group in
            group.addTask {
                do {
                    return try await run(output: output, reportErrors: reportErrors)
                } catch let error as SQLError {
                    throw CommandFailure(error.message)
                } catch let error as SinkError {
                    throw CommandFailure(error.message)
                }
            }
            group.addTask {
                for await _ in signals { break }
                return nil
            }
            var statistics: QueryStatistics?
            while let result = try await group.next() {
                group.cancelAll()
                if let result { statistics = result }
            }
            return statistics ?? QueryStatistics()
        }
    }
}
