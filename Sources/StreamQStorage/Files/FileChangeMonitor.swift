import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Watches files with inotify and signals whoever follows them, so a read-only process learns of
/// new records the moment the writer publishes them instead of polling in a sleep loop.
///
/// One background thread per monitor blocks in `poll` on the inotify descriptor. On systems
/// without inotify the monitor does nothing and followers fall back to their wait timeout.
final class FileChangeMonitor: Sendable {
    private let descriptor: Int32
    private let watches = Mutex<[Int32: [ChangeSignal]]>([:])
    private let stopped = Atomic<Bool>(false)

    init() {
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { return }
        DispatchQueue(label: "streamq.file-change-monitor").async { [self] in run() }
    }

    /// Signals `signal` whenever `path` (a file or directory) is modified, or an entry in it is
    /// created, renamed into it or removed.
    func watch(_ path: String, signal: ChangeSignal) {
        guard descriptor >= 0 else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
        let watch = inotify_add_watch(descriptor, path, mask)
        guard watch >= 0 else { return }
        watches.withLock { watches in
            if !(watches[watch]?.contains { $0 === signal } ?? false) { watches[watch, default: []].append(signal) }
        }
    }

    /// Stops the background thread and releases the inotify descriptor.
    func stop() {
        stopped.store(true, ordering: .releasing)
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .acquiring) {
            let ready = poll(&poller, 1, 200)  // wakes regularly only to notice stop()
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            var fired = Set<Int32>()
            var offset = 0
            buffer.withUnsafeBytes { raw in
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let nameLength = raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
                    fired.insert(watch)
                    offset += MemoryLayout<inotify_event>.size + Int(nameLength)
                }
            }
            let signals = watches.withLock { watches in fired.flatMap { watches[$0] ?? [] } }
            for signal in signals { signal.notify() }
        }
        close(descriptor)
    }
}
