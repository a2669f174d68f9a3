import Testing

@testable import StreamQStorage

@Suite struct ReadOnlyStoreTests {
    @Test func aReaderSeesWhatTheWriterPublishesAsItDoes() async throws {
        try await withTemporaryDirectory { directory in
            let writer = try StreamStore(directory: directory, configuration: .forTesting())
            try writer.createStream(logs, shardCount: 2)
            _ = try await writer.append(to: logs, records(10))

            let reader = try StreamStore(directory: directory, configuration: .forTesting(), mode: .readOnly)
            #expect(try reader.listStreams() == [logs])
            #expect(try readAll(reader, logs).count == 10)

            _ = try await writer.append(to: logs, records(5, prefix: "more"))
            #expect(try readAll(reader, logs).count == 15)

            // Writes through the reader are refused.
            let refused = await #expect(throws: StreamQStorageError.self) {
                try await reader.append(to: logs, records(1))
            }
            #expect(refused?.code == .readOnly)
            #expect(throws: StreamQStorageError.self) {
                try reader.createStream(StreamName(rawValue: "other")!, shardCount: 1)
            }

            // Streams created and resharded by the writer show up.
            let other = StreamName(rawValue: "other")!
            try writer.createStream(other, shardCount: 1)
            _ = try await writer.append(to: other, records(3))
            #expect(try readAll(reader, other).count == 3)
            try await writer.splitShard(other, shard: ShardID(0), newStartingHashKey: HashKey(1) << 127)
            _ = try await writer.append(to: other, records(4))
            let described = try reader.describeStream(other)
            #expect(described.shards.count == 3)
            #expect(try readAll(reader, other).count == 7)
            let parentEnd = try reader.read(try reader.cursor(stream: other, shard: ShardID(0), at: .trimHorizon))
            #expect(parentEnd.next == nil)
            #expect(parentEnd.childShards == [ShardID(1), ShardID(2)])

            try await reader.close()
            try await writer.close()
        }
    }

    /// The waits' timeouts are far beyond the test's time limit, so only a wake-up by the change can
    /// end them in time.
    @Test(.timeLimit(.minutes(1))) func aReaderWaitingForRecordsIsWokenByTheWriter() async throws {
        try await withTemporaryDirectory { directory in
            let writer = try StreamStore(directory: directory, configuration: .forTesting())
            try writer.createStream(logs, shardCount: 1)
            let reader = try StreamStore(directory: directory, configuration: .forTesting(), mode: .readOnly)
            let cursor = try reader.cursor(stream: logs, shard: ShardID(0), at: .latest)
            #expect(try await reader.waitForRecords(at: cursor, timeout: .milliseconds(50)) == false)

            async let woke = reader.waitForRecords(at: cursor, timeout: .seconds(3600))
            try await Task.sleep(for: .milliseconds(100))
            _ = try await writer.append(to: logs, records(1))
            #expect(try await woke)
            #expect(try reader.read(cursor).records.count == 1)

            // The writer's own process is woken the same way.
            let next = try writer.cursor(stream: logs, shard: ShardID(0), at: .latest)
            async let wokeInProcess = writer.waitForRecords(at: next, timeout: .seconds(3600))
            try await Task.sleep(for: .milliseconds(50))
            _ = try await writer.append(to: logs, records(1))
            #expect(try await wokeInProcess)
            try await reader.close()
            try await writer.close()
        }
    }

    @Test func aReaderNeverSeesABatchStillBeingWritten() async throws {
        try await withTemporaryDirectory { directory in
            let writer = try StreamStore(directory: directory, configuration: .forTesting())
            try writer.createStream(logs, shardCount: 1)
            _ = try await writer.append(to: logs, records(5))
            try await writer.close()

            // Half a batch at the end of the active segment, as a writer mid-write leaves it, and a
            // watermark (as a crashed writer might leave it) that claims more than is there.
            let shardDirectory = directory + "/streams/logs/shards/shardId-000000000000"
            let path = shardDirectory + "/" + Segment.fileName(baseSequence: 0)
            let complete = try FileSystem.readFile(path)
            let file = try FileHandle.open(path, flags: O_WRONLY)
            try file.write(Array(complete[SegmentHeader.size..<(SegmentHeader.size + 50)]), at: complete.count)
            let lying = ShardWatermark(segmentBase: 0, byteLength: UInt64(complete.count + 50), next: 99)
            try FileHandle.open(shardDirectory + "/VISIBLE", flags: O_WRONLY).write(lying.encoded(), at: 0)

            let reader = try StreamStore(directory: directory, configuration: .forTesting(), mode: .readOnly)
            #expect(try readAll(reader, logs).map(\.text) == (0..<5).map { "record-\($0)" })
            #expect(try FileSystem.readFile(path).count == complete.count + 50, "a reader changes nothing on disk")
            try await reader.close()
        }
    }

    @Test func aReadOnlyStoreNeedsAnExistingDataDirectory() async throws {
        try await withTemporaryDirectory { directory in
            #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory + "/missing", configuration: .forTesting(), mode: .readOnly)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
