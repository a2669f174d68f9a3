#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says of a file: its identity on disk, size and link count.
struct FileStatus: Sendable, Equatable {
    var inode: Inode
    var size: Int
    /// 0 once the file was deleted while open.
    var links: Int
    /// When the content last changed, in nanoseconds since the epoch.
    var modified: Int

    init(_ info: stat) {
        inode = Inode(device: UInt64(info.st_dev), number: UInt64(info.st_ino))
        size = Int(info.st_size)
        links = Int(info.st_nlink)
        modified = info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec
    }

    /// The regular file at `path`, following symbolic links; nil if there is none.
    static func of(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStatus(info)
    }
}

/// A file's place on disk: device and inode number.
struct Inode: Sendable, Hashable, Codable {
    var device: UInt64
    var number: UInt64

    /// No file: an entry whose inode now holds other content.
    static let none = Inode(device: 0, number: 0)
}

/// A log file open for reading. The descriptor keeps reading the same file after it is renamed or
/// deleted, which is how lines written just before a rotation are not lost.
final class LogFile {
    let descriptor: Int32

    init(path: String) throws(ShipError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ShipError.io("open", path) }
    }

    deinit { close(descriptor) }

    func status() throws(ShipError) -> FileStatus {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ShipError.io("fstat", "descriptor \(descriptor)") }
        return FileStatus(info)
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(count: Int, at offset: Int) throws(ShipError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        let done = try read(into: buffer, at: offset)
        return Array(buffer[..<done])
    }

    /// Reads up to `buffer.count` bytes at `offset` into `buffer`; returns how many it read (fewer
    /// at the end of the file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(ShipError) -> Int {
        var done = 0
        while done < buffer.count {
            let result = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw ShipError.io("pread", "descriptor \(descriptor) at byte \(offset + done)")
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Where the last complete line ends, at or before `size`: where `--from end` starts, so a line
    /// being written is not shipped from its middle.
    func endOfLastLine(before size: Int) throws(ShipError) -> Int {
        var end = size
        while end > 0 {
            let start = max(0, end - 65_536)
            let chunk = try read(count: end - start, at: start)
            if let newline = chunk.lastIndex(of: 0x0A) { return start + newline + 1 }
            end = start
        }
        return 0
    }
}
