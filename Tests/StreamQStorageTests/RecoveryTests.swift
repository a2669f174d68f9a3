import Testing

@testable import StreamQStorage

@Suite struct RecoveryTests {
    /// Writes `batches` appends of 5 records each to a one-shard stream and closes the store.
    /// - Returns: the active segment's path and the byte offset where each batch starts.
    func makeShard(
        in directory: String,
        batches: Int,
        configuration: StorageConfiguration = .forTesting()
    ) async throws -> (path: String, starts: [Int]) {
        let store = try StreamStore(directory: directory, configuration: configuration)
        try store.createStream(logs, shardCount: 1)
        for batch in 0..<batches {
            _ = try await store.append(to: logs, records(5, key: { _ in "k" }, prefix: "b\(batch)"))
        }
        try await store.close()
        let shardDirectory = directory + "/streams/logs/shards/shardId-000000000000"
        let segment = try FileSystem.contents(of: shardDirectory).filter { $0.hasSuffix(".seg") }.last!
        let path = shardDirectory + "/" + segment
        let bytes = try FileSystem.readFile(path)
        var starts: [Int] = []
        var offset = SegmentHeader.size
        while offset < bytes.count {
            starts.append(offset)
            offset += Int(bytes.withUnsafeBytes { $0.loadLittleEndian(at: offset + 4, as: UInt32.self) })
        }
        return (path, starts)
    }

    func overwrite(_ path: String, with bytes: [UInt8]) throws {
        try FileSystem.remove(path)
        let file = try FileHandle.open(path, flags: O_WRONLY | O_CREAT)
        try file.write(bytes, at: 0)
    }

    @Test func aTornFinalBatchIsTruncatedAtEveryByteOffset() async throws {
        try await withTemporaryDirectory { directory in
            let (path, starts) = try await makeShard(in: directory, batches: 4)
            let original = try FileSystem.readFile(path)
            let lastStart = starts.last!
            let expected = (0..<3).flatMap { batch in (0..<5).map { "b\(batch)-\($0)" } }
            for cut in lastStart..<original.count {
                try overwrite(path, with: Array(original[..<cut]))
                let store = try StreamStore(directory: directory, configuration: .forTesting())
                #expect(try readAll(store, logs).map(\.text) == expected, "cut at \(cut)")
                #expect(store.recoveryNotes.count == (cut == lastStart ? 0 : 1))
                try await store.close()
                #expect(try FileSystem.readFile(path).count == lastStart, "the torn tail is gone after open")
            }
            // After recovery, appends continue at the right sequence.
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            let next = try await store.append(to: logs, records(1, key: { _ in "k" }))
            #expect(next[0].sequenceNumber.sequence == 15)
            try await store.close()
        }
    }

    @Test(arguments: [
        [UInt8](repeating: 0, count: 4096),  // file size grew before the data reached the disk
        Array("garbage that is not a batch at all, long enough to hold a header and then some more bytes".utf8),
    ])
    func junkAfterTheLastBatchIsTruncated(junk: [UInt8]) async throws {
        try await withTemporaryDirectory { directory in
            let (path, _) = try await makeShard(in: directory, batches: 3)
            try overwrite(path, with: try FileSystem.readFile(path) + junk)
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            #expect(try readAll(store, logs).count == 15)
            #expect(store.recoveryNotes.count == 1)
            try await store.close()
        }
    }

    @Test func damageFollowedByValidDataIsReportedWithFileAndOffsetAndNothingIsDeleted() async throws {
        try await withTemporaryDirectory { directory in
            let (path, starts) = try await makeShard(in: directory, batches: 5)
            var bytes = try FileSystem.readFile(path)
            let damaged = starts[1]
            bytes[damaged + 90] ^= 0x40  // inside batch 1's payload
            try overwrite(path, with: bytes)
            let error = #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: .forTesting())
            }
            #expect(error?.code == .corruption)
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains("at byte \(damaged)") == true)
            #expect(try FileSystem.readFile(path) == bytes, "the damaged segment is left as it was")

            // A damaged header (length field) in the middle is caught by the header checksum.
            bytes[damaged + 90] ^= 0x40
            bytes[damaged + 5] ^= 0x01
            try overwrite(path, with: bytes)
            let headerError = #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: .forTesting())
            }
            #expect(headerError?.message.contains("at byte \(damaged)") == true)
        }
    }

    @Test func damageInASealedSegmentIsReportedWhenReadNeverReturnedAsData() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting(segmentBytes: 4096)
            configuration.compression = .none
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: 1)
            for batch in 0..<40 {
                _ = try await store.append(
                    to: logs,
                    records(5, key: { _ in "k" }, prefix: "batch-\(batch)-padding-padding")
                )
            }
            try await store.close()
            let shardDirectory = directory + "/streams/logs/shards/shardId-000000000000"
            let first =
                shardDirectory + "/" + (try FileSystem.contents(of: shardDirectory).first { $0.hasSuffix(".seg") }!)
            var bytes = try FileSystem.readFile(first)
            bytes[SegmentHeader.size + 100] ^= 0xFF
            try overwrite(first, with: bytes)

            let reopened = try StreamStore(directory: directory, configuration: configuration)
            let error = #expect(throws: StreamQStorageError.self) { try readAll(reopened, logs) }
            #expect(error?.code == .corruption)
            #expect(error?.message.contains(first) == true)
            #expect(error?.message.contains("at byte \(SegmentHeader.size)") == true)
            try await reopened.close()
        }
    }

    @Test func aSegmentInTheWrongPlaceIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let (path, _) = try await makeShard(in: directory, batches: 2)
            let misplaced = FileSystem.parent(of: path) + "/" + Segment.fileName(baseSequence: 1_000)
            try FileSystem.rename(path, to: misplaced)
            let error = #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: .forTesting())
            }
            #expect(error?.code == .corruption)
            #expect(error?.message.contains("base 0") == true)
        }
    }

    @Test func damagedMetadataIsRefusedNotTakenForAnEmptyStream() async throws {
        try await withTemporaryDirectory { directory in
            _ = try await makeShard(in: directory, batches: 1)
            let metaPath = directory + "/streams/logs/stream.meta"
            var meta = try FileSystem.readFile(metaPath)
            meta[10] ^= 0x01
            try overwrite(metaPath, with: meta)
            let error = #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: .forTesting())
            }
            #expect(error?.code == .corruption)
            #expect(FileSystem.exists(directory + "/streams/logs/shards/shardId-000000000000"))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
