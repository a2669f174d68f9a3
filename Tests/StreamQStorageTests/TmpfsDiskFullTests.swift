import Testing

@testable import StreamQStorage

#if os(Linux)  // mount(2) and tmpfs
import Glibc

/// A real disk full: the store fills a small tmpfs until `ENOSPC`.
@Suite struct TmpfsDiskFullTests {
    static let recordsPerAppend = 50

    /// Record `sequence` of the test: its content says where it belongs.
    static func record(_ sequence: Int) -> AppendRecord {
        AppendRecord(
            partitionKey: "k\(sequence % 7)",
            data: "r\(sequence)-" + String(repeating: "x", count: 150 + sequence % 50)
        )
    }

    static func append(_ store: StreamStore, from first: Int) async throws -> UInt64 {
        let records = (first..<(first + recordsPerAppend)).map(Self.record)
        return try await store.append(to: logs, shard: ShardID(0), records).sequence
    }

    static func stored(_ store: StreamStore) throws -> [String] {
        try readAll(store, logs, shard: ShardID(0)).map { "\($0.partitionKey) \($0.text)" }
    }

    static func expected(_ count: Int) -> [String] {
        (0..<count).map {
            let record = record($0)
            return "\(record.partitionKey) \(String(decoding: record.data, as: UTF8.self))"
        }
    }

    // Mounting needs root or CAP_SYS_ADMIN; where it is refused, the condition prints why.
    @Test(.enabled("needs permission to mount a tmpfs") { SizeLimitedFileSystem.canMount() })
    func fillingARealFileSystemFailsCleanlyAndTheStoreRecoversOnceSpaceIsFreed() async throws {
        try await withTemporaryDirectory { directory in
            let mountPoint = directory + "/fs"
            try FileSystem.createDirectory(mountPoint)
            let fileSystem = try SizeLimitedFileSystem(mountingAt: mountPoint, bytes: 2 << 20)
            defer { fileSystem.unmount() }
            let filler = mountPoint + "/filler"
            try FileHandle.open(filler, flags: O_WRONLY | O_CREAT).write(
                [UInt8](repeating: 0x66, count: 512 << 10),
                at: 0
            )

            var configuration = StorageConfiguration.forTesting(segmentBytes: 256 << 10)
            configuration.compression = .none
            let data = mountPoint + "/data"
            let store = try StreamStore(directory: data, configuration: configuration)
            try store.createStream(logs, shardCount: 1)

            // Append until the file system is full; everything before that was acknowledged.
            var acknowledged = 0
            var failure: StreamQStorageError?
            while failure == nil && acknowledged < 100_000 {
                do {
                    #expect(try await Self.append(store, from: acknowledged) == UInt64(acknowledged))
                    acknowledged += Self.recordsPerAppend
                } catch let error as StreamQStorageError {
                    failure = error
                }
            }
            let error = try #require(failure, "a 2 MiB file system never filled up")
            #expect(error.code == .ioFailure)
            for part in [
                "No space left on device", "stream 'logs'", "shardId-000000000000", data + "/streams/logs/shards/",
            ] {
                #expect(error.message.contains(part), "\(part) in: \(error.message)")
            }
            let refused = await #expect(throws: StreamQStorageError.self) {
                try await Self.append(store, from: acknowledged)
            }
            #expect(refused?.code == .shardFailed)

            // Everything acknowledged reads back, here and from a read-only store.
            #expect(try Self.stored(store) == Self.expected(acknowledged))
            let reader = try StreamStore(directory: data, configuration: configuration, mode: .readOnly)
            #expect(try Self.stored(reader) == Self.expected(acknowledged))
            try await reader.close()
            _ = try? await store.close()

            // Space is freed: reopen, recover, and write on.
            try FileSystem.remove(filler)
            let reopened = try StreamStore(directory: data, configuration: configuration)
            #expect(try Self.stored(reopened) == Self.expected(acknowledged))
            for _ in 0..<10 {
                #expect(try await Self.append(reopened, from: acknowledged) == UInt64(acknowledged))
                acknowledged += Self.recordsPerAppend
            }
            #expect(try Self.stored(reopened) == Self.expected(acknowledged))
            try await reopened.close()
        }
    }
}

/// A tmpfs of a fixed size, mounted for one test.
struct SizeLimitedFileSystem {
    let mountPoint: String

    init(mountingAt mountPoint: String, bytes: Int) throws {
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=\(bytes)") == 0 else {
            throw StreamQStorageError.io("mount tmpfs", mountPoint)
        }
        self.mountPoint = mountPoint
    }

    /// Detaches the file system even if a file in it is still open.
    func unmount() {
        umount2(mountPoint, Int32(MNT_DETACH))
    }

    /// Whether this process may mount a tmpfs; prints the reason when it may not.
    static func canMount() -> Bool {
        var template = Array("/tmp/streamq-mount-probe-XXXXXX".utf8CString)
        let probe = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        defer { rmdir(probe) }
        do {
            try SizeLimitedFileSystem(mountingAt: probe, bytes: 64 << 10).unmount()
            return true
        } catch {
            print("skipping the tmpfs disk-full test: \(error)")
            return false
        }
    }
}
#endif
