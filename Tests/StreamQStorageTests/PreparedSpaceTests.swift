import Testing

@testable import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// The zeros a shard writes ahead of its batches (so that most syncs do not grow the file): what
/// readers see meanwhile, what a crash leaves and recovery cuts, and what sealing and closing cut.
@Suite struct PreparedSpaceTests {
    let shardPath = "/streams/logs/shards/shardId-000000000000"

    /// Copies a data directory as it is now: the files a process killed at this moment leaves.
    func copyAsIs(_ directory: String, to copy: String) throws {
        try FileSystem.createDirectories(copy)
        for name in try FileSystem.contents(of: directory) {
            let (from, to) = (directory + "/" + name, copy + "/" + name)
            if FileSystem.isDirectory(from) {
                try copyAsIs(from, to: to)
            } else {
                try FileHandle.open(to, flags: O_WRONLY | O_CREAT).write(try FileSystem.readFile(from), at: 0)
            }
        }
    }

    /// Where the batches of a segment file end: their lengths walked from the segment header on,
    /// up to the end of the file or the first batch length of zero.
    func batchesEnd(of bytes: [UInt8]) -> Int {
        var offset = SegmentHeader.size
        while offset + BatchHeader.size <= bytes.count {
            let length = Int(bytes.withUnsafeBytes { $0.loadLittleEndian(at: offset + 4, as: UInt32.self) })
            guard length > 0 else { break }
            offset += length
        }
        return offset
    }

    @Test func readersIgnoreTheZerosAndACrashLeavesThemForRecoveryToCut() async throws {
        try await withTemporaryDirectory { directory in
            let data = directory + "/data"
            let crashed = directory + "/crashed"
            let store = try StreamStore(directory: data, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            let follower = try StreamStore(directory: data, configuration: .forTesting(), mode: .readOnly)
            var expected: [String] = []
            for batch in 0..<3 {
                _ = try await store.append(to: logs, records(5, key: { _ in "k" }, prefix: "b\(batch)"))
                expected += (0..<5).map { "b\(batch)-\($0)" }
                // Readers in this process and in others follow the tip, never into the zeros.
                #expect(try readAll(store, logs).map(\.text) == expected)
                #expect(try readAll(follower, logs).map(\.text) == expected)
            }
            try copyAsIs(data, to: crashed)
            try await follower.close()
            try await store.close()

            let segment = crashed + shardPath + "/" + Segment.fileName(baseSequence: 0)
            let bytes = try FileSystem.readFile(segment)
            let end = batchesEnd(of: bytes)
            #expect(bytes.count > end, "zeros were written ahead of the batches")
            #expect(bytes[end...].allSatisfy { $0 == 0 })

            // A reader of the crashed directory sees every acknowledged record and changes nothing.
            let reader = try StreamStore(directory: crashed, configuration: .forTesting(), mode: .readOnly)
            #expect(try readAll(reader, logs).map(\.text) == expected)
            try await reader.close()
            #expect(try FileSystem.readFile(segment) == bytes)

            // Recovery cuts the zeros (said as zeros, not as a torn write); appends continue at the next sequence.
            let reopened = try StreamStore(directory: crashed, configuration: .forTesting())
            #expect(reopened.recoveryNotes.count == 1)
            #expect(reopened.recoveryNotes.first?.contains("cut \(bytes.count - end) bytes of zeros") == true)
            #expect(try FileSystem.readFile(segment).count == end)
            #expect(try readAll(reopened, logs).map(\.text) == expected)
            let next = try await reopened.append(to: logs, records(1, key: { _ in "k" }, prefix: "after"))
            #expect(next[0].sequenceNumber.sequence == 15)
            try await reopened.close()

            let again = try StreamStore(directory: crashed, configuration: .forTesting())
            #expect(again.recoveryNotes.isEmpty)
            #expect(try readAll(again, logs).map(\.text) == expected + ["after-0"])
            try await again.close()
        }
    }

    @Test func sealedSegmentsAndAClosedShardEndWithTheirLastBatch() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting(segmentBytes: 4096)
            configuration.compression = .none
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: 1)
            for batch in 0..<20 {
                _ = try await store.append(to: logs, records(20, key: { _ in "k" }, prefix: "batch-\(batch)-padding"))
            }
            let shard = directory + shardPath
            let names = try FileSystem.contents(of: shard).filter { $0.hasSuffix(".seg") }
            #expect(names.count > 2)
            for name in names.dropLast() {  // sealed: the file is exactly as long as its index says
                let path = shard + "/" + name
                let summary = try #require(
                    SealedSegmentSummary.parse(FileSystem.readFile(Segment.indexPath(forSegment: path)))
                )
                #expect(try FileSystem.readFile(path).count == Int(summary.byteLength), "\(name)")
            }
            let active = try FileSystem.readFile(shard + "/" + names.last!)
            #expect(active[batchesEnd(of: active)...].allSatisfy { $0 == 0 })
            try await store.close()

            let closed = try FileSystem.readFile(shard + "/" + names.last!)
            #expect(closed.count == batchesEnd(of: closed), "closing cut the zeros")
            let reopened = try StreamStore(directory: directory, configuration: configuration)
            #expect(reopened.recoveryNotes.isEmpty)
            #expect(try readAll(reopened, logs).count == 400)
            try await reopened.close()
        }
    }
}
