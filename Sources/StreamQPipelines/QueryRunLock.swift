#if canImport(Glibc)
import Glibc
#endif

/// The lock a run of a persistent query holds from its start to its last commit (`flock` on
/// `<query folder>/run.lock`): `REPLACE QUERY` takes it before it removes the old text's checkpoint,
/// so a run that is still committing (however slowly, in whatever process) can never write the old
/// query's state after the new one has started.
final class QueryRunLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Takes the lock, waiting up to `timeout`.
    /// - Throws: when the file cannot be opened, or the lock is still held after `timeout`.
    static func acquire(folder: String, query: String, timeout: Duration) async throws -> QueryRunLock {
        let path = folder + "/run.lock"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw PipelineError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                close(descriptor)
                throw PipelineError("query \(query) is still running after \(timeout) (\(path) is locked)")
            }
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                close(descriptor)
                throw error
            }
        }
        return QueryRunLock(descriptor: descriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
