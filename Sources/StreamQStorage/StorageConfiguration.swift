/// When appended data is forced to stable storage, and so what a crash can lose.
public enum FsyncPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Default. An append is acknowledged only after `fdatasync` covers it; appends arriving while a
    /// sync is in progress share the next one (group commit). Readers see a record only once it is
    /// durable. Loses nothing that was acknowledged, on a process crash or power loss.
    case always
    /// An append is acknowledged once written to the OS; a background sync runs every `interval`.
    /// A process crash loses nothing; an OS crash or power loss can lose up to `interval` of
    /// acknowledged records. Readers see records before they are durable.
    case interval(Duration)
    /// An append is acknowledged once written to the OS and the engine syncs only when a segment is
    /// sealed and on `flush()`/close. A process crash loses nothing; an OS crash or power loss loses
    /// whatever the kernel had not yet written back (about 30 s on Linux by default).
    case never

    /// Parses `always`, `never`, or `interval:<ms>` / `interval:<n>ms|s`.
    public init?(parsing text: String) {
        switch text {
        case "always": self = .always
        case "never": self = .never
        default:
            guard text.hasPrefix("interval") else { return nil }
            var rest = text.dropFirst("interval".count)
            guard rest.first == ":" || rest.first == "=" else { return nil }
            rest = rest.dropFirst()
            var scale: Int64 = 1
            if rest.hasSuffix("ms") {
                rest = rest.dropLast(2)
            } else if rest.hasSuffix("s") {
                rest = rest.dropLast()
                scale = 1000
            }
            guard let value = Int64(rest), value > 0 else { return nil }
            self = .interval(.milliseconds(value * scale))
        }
    }

    public var description: String {
        switch self {
        case .always: "always"
        case .never: "never"
        case .interval(let duration): "interval:\(duration.milliseconds)ms"
        }
    }
}

/// The storage engine's settings. Every field has a documented default; `validate()` runs on open.
public struct StorageConfiguration: Sendable {
    /// Default `.always`: nothing acknowledged is ever lost.
    public var fsyncPolicy: FsyncPolicy = .always
    /// Default zstd level 1. Incompressible batches are stored uncompressed automatically.
    public var compression: Compression = .zstd(level: 1)
    /// Largest record data accepted. Default 1 MiB (Kinesis's limit).
    public var maxRecordBytes: Int = 1 << 20
    /// Uncompressed bytes per on-disk batch before a new batch starts. Default 1 MiB.
    public var maxBatchBytes: Int = 1 << 20
    /// A segment is sealed and a new one started past this size. Default 128 MiB.
    public var segmentBytes: Int = 128 << 20
    /// A segment holding data is sealed once this old, so age-based retention can delete it.
    /// Default 1 hour.
    public var segmentMaxAge: Duration = .seconds(3600)
    /// How often the engine rolls aged segments and applies retention. Default 30 s.
    public var maintenanceInterval: Duration = .seconds(30)
    /// The wall clock that stamps arrival times. Replaceable in tests.
    public var clock: any WallClock = SystemWallClock()
    /// The file of named master keys that wrap encrypted streams' data keys (see
    /// ``MasterKeyFile``); read on first need, and refused inside the data directory. Default nil:
    /// no keys, so encrypted streams cannot be read or written, while plaintext ones work.
    public var masterKeyFile: String?

    public init() {}

    func validate() throws {
        if case .zstd(let level) = compression, !(1...19).contains(level) {
            throw StreamQStorageError.invalid("zstd level must be 1 to 19, got \(level)")
        }
        guard (1...(64 << 20)).contains(maxRecordBytes) else {
            throw StreamQStorageError.invalid("maxRecordBytes must be 1 byte to 64 MiB")
        }
        guard (1024...(64 << 20)).contains(maxBatchBytes) else {
            throw StreamQStorageError.invalid("maxBatchBytes must be 1 KiB to 64 MiB")
        }
        guard (4096...(1 << 30)).contains(segmentBytes) else {
            throw StreamQStorageError.invalid("segmentBytes must be 4 KiB to 1 GiB (positions in the index are 32-bit)")
        }
        if case .interval(let duration) = fsyncPolicy, duration <= .zero {
            throw StreamQStorageError.invalid("fsync interval must be positive")
        }
    }

    /// The largest batch a reader will accept: a full batch of maximum records plus framing.
    var maxStoredBatchBytes: Int { maxBatchBytes + maxRecordBytes + 64 * 1024 }
}

/// Milliseconds since the Unix epoch. The engine never lets arrival times go backwards even when
/// this clock does.
public protocol WallClock: Sendable {
    func nowMilliseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

extension Duration {
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
