import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// The shipper's state directory, locked (`flock` on `ship.lock`) for as long as this value lives,
/// so two shippers never interleave their checkpoints. The lock dies with the process, even on
/// `kill -9`.
final class StateDirectory {
    let path: String
    private let lockDescriptor: Int32

    var checkpointPath: String { path + "/checkpoints.json" }

    init(_ path: String) throws(ShipError) {
        self.path = path
        do {
            try FileSystem.createDirectories(path)
        } catch {
            throw ShipError("cannot create the state directory \(path): \(error)")
        }
        lockDescriptor = open(path + "/ship.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lockDescriptor >= 0 else { throw ShipError.io("open", path + "/ship.lock") }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw ShipError("the state directory \(path) is in use by another streamq ship")
        }
    }

    deinit { close(lockDescriptor) }
}
