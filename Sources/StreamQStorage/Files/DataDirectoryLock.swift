#if canImport(Glibc)
import Glibc
#endif

/// The exclusive write lock of a data directory: `flock` on `<dir>/LOCK`, held for the life of the
/// store. The file's content (pid and host) is only there to name the holder in the error a second
/// writer gets; the lock itself disappears with the process, even after `kill -9`.
///
/// A `streamq serve` adds an `endpoint URL` line once listening (``announce(endpoint:)``).
final class DataDirectoryLock: Sendable {
    private let file: FileHandle

    init(directory: String) throws {
        let path = directory + "/LOCK"
        let file = try FileHandle.open(path, flags: O_RDWR | O_CREAT, mode: 0o644)
        if flock(file.descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? file.read(count: 4096, at: 0)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let lines = holder.split(separator: "\n").map { String($0).trimmingWhitespace }
            let described = lines.first.flatMap { $0.isEmpty ? nil : $0 } ?? "another process"
            var message = "data directory \(directory) is locked for writing by \(described)"
            if let endpoint = lines.first(where: { $0.hasPrefix("endpoint ") })?.dropFirst("endpoint ".count) {
                message +=
                    ", a streamq serve answering at \(endpoint): send this through it with --endpoint \(endpoint)"
            }
            throw StreamQStorageError(.locked, message)
        }
        var hostBuffer = [CChar](repeating: 0, count: 256)
        gethostname(&hostBuffer, hostBuffer.count)
        let host = String(decoding: hostBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try file.truncate(to: 0)
        try file.write(Array("pid \(getpid()) on \(host)\n".utf8), at: 0)
        self.file = file
    }

    /// Names the Kinesis endpoint the holder serves, so a second writer is told to use it.
    func announce(endpoint: String) throws {
        let size = try file.size()
        try file.write(Array("endpoint \(endpoint)\n".utf8), at: size)
    }

    /// Gives the lock up before the process ends (closing the store does this).
    func release() {
        flock(file.descriptor, LOCK_UN)
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars.drop(while: { $0.properties.isWhitespace }).reversed()
            .drop(while: { $0.properties.isWhitespace }).reversed()
        return String(String.UnicodeScalarView(scalars))
    }
}
