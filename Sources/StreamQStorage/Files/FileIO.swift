#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with the positioned, retrying reads and writes the engine relies on.
///
/// Writes go to explicit offsets (`pwrite`, never `O_APPEND`), so a failed partial write is simply
/// overwritten by the next attempt; short reads and writes and `EINTR` are looped over.
package final class FileHandle: @unchecked Sendable {  // an fd is safe to use from any thread; no mutable state
    package let descriptor: Int32
    package let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    package static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> FileHandle {
        let fd = path.withCString { Glibc.open($0, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw StreamQStorageError.io("open", path) }
        return FileHandle(descriptor: fd, path: path)
    }

    package static func openForReading(_ path: String) throws -> FileHandle {
        try open(path, flags: O_RDONLY)
    }

    package func size() throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StreamQStorageError.io("fstat", path) }
        return Int(info.st_size)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var count = bytes.count
        #if DEBUG
        let fault = FaultInjection.fault(for: .write, path: path)
        if let fault { count = min(count, fault.bytesBeforeFailure) }
        #endif
        var written = 0
        while written < count {
            let result = pwrite(descriptor, bytes.baseAddress! + written, count - written, off_t(offset + written))
            if result < 0 {
                if errno == EINTR { continue }
                throw StreamQStorageError.io("pwrite", path, offset: offset + written)
            }
            written += result
        }
        #if DEBUG
        if let fault {
            errno = fault.errorNumber
            throw StreamQStorageError.io("pwrite", path, offset: offset + written)
        }
        #endif
    }

    package func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { buffer throws in try write(buffer, at: offset) }
    }

    /// Reads up to `count` bytes at `offset` into `buffer` (from its start); returns how many were read
    /// (fewer only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, count: Int, at offset: Int) throws -> Int {
        #if DEBUG
        try failIfInjected(.read, "pread", offset: offset)
        #endif
        var done = 0
        while done < count {
            let result = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw StreamQStorageError.io("pread", path, offset: offset + done)
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Up to `count` bytes from `offset`: fewer where the file ends.
    package func read(count: Int, at offset: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { buffer throws in
            try read(into: buffer, count: count, at: offset)
        }
        bytes.removeLast(count - got)
        return bytes
    }

    /// Makes written data durable (`fdatasync` on Linux, `F_FULLFSYNC` on Darwin).
    package func sync() throws {
        #if canImport(Darwin)
        #if DEBUG
        try failIfInjected(.sync, "fcntl(F_FULLFSYNC)")
        #endif
        guard fcntl(descriptor, F_FULLFSYNC) == 0 else { throw StreamQStorageError.io("fcntl(F_FULLFSYNC)", path) }
        #else
        #if DEBUG
        try failIfInjected(.sync, "fdatasync")
        #endif
        guard fdatasync(descriptor) == 0 else { throw StreamQStorageError.io("fdatasync", path) }
        #endif
    }

    /// Makes the file's data and metadata durable (`fsync`): for directories and new files.
    func syncAll() throws {
        #if DEBUG
        try failIfInjected(.sync, "fsync")
        #endif
        guard fsync(descriptor) == 0 else { throw StreamQStorageError.io("fsync", path) }
    }

    package func truncate(to length: Int) throws {
        #if DEBUG
        try failIfInjected(.truncate, "ftruncate")
        #endif
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw StreamQStorageError.io("ftruncate", path) }
    }

    #if DEBUG
    /// Throws the error a test injected for `operation` on this file, as `call` would have failed.
    private func failIfInjected(_ operation: FaultInjection.Operation, _ call: String, offset: Int? = nil) throws {
        if let fault = FaultInjection.fault(for: operation, path: path) {
            errno = fault.errorNumber
            throw StreamQStorageError.io(call, path, offset: offset)
        }
    }
    #endif
}

/// Directory and path operations, each reporting the path and the errno text when it fails.
package enum FileSystem {
    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    package static func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw StreamQStorageError.io("mkdir", path) }
    }

    /// Creates `path` and any missing parents.
    package static func createDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            try createDirectory(current)
        }
    }

    package static func contents(of directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw StreamQStorageError.io("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw StreamQStorageError.io("unlink", path) }
    }

    /// Removes a directory tree. Only ever called on paths the engine built itself.
    package static func removeTree(_ path: String) throws {
        guard isDirectory(path) else { return try remove(path) }
        for name in try contents(of: path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 && errno != ENOENT { throw StreamQStorageError.io("rmdir", path) }
    }

    package static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw StreamQStorageError.io("rename to \(to)", from) }
    }

    /// fsyncs a directory so that entries created, renamed or removed in it survive a crash.
    package static func syncDirectory(_ path: String) throws {
        try FileHandle.open(path, flags: O_RDONLY | O_DIRECTORY).syncAll()
    }

    /// Atomically replaces `path` with `bytes`: temp file in the same directory, fsync, rename,
    /// fsync of the directory. A crash leaves either the old or the new content, never a mix.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let directory = parent(of: path)
        let temporary = "\(path).tmp-\(getpid())"
        do {
            let handle = try FileHandle.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try handle.write(bytes, at: 0)
            try handle.syncAll()
            try rename(temporary, to: path)
        } catch {
            try? remove(temporary)  // on a full disk, do not leave a partial copy taking space
            throw error
        }
        try syncDirectory(directory)
    }

    package static func readFile(_ path: String) throws -> [UInt8] {
        let handle = try FileHandle.openForReading(path)
        return try handle.read(count: try handle.size(), at: 0)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

extension StreamQStorageError {
    /// An I/O failure with the operation, the path (and byte offset, if given) and the current
    /// errno's text.
    static func io(_ operation: String, _ path: String, offset: Int? = nil) -> Self {
        let code = errno
        let place = offset.map { "\(path) at byte \($0)" } ?? path
        return .init(.ioFailure, "\(operation) \(place): \(String(cString: strerror(code))) (errno \(code))")
    }
}
