import Testing

@testable import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Disk full, failing fsync and failing reads, raised through ``FaultInjection``. Faults are
/// process-wide, so these tests run one at a time and each scopes its faults to its own directory.
@Suite(.serialized) struct FaultInjectionTests {
    static let shard0 = "/streams/logs/shards/shardId-000000000000"

    /// A fresh directory whose faults are all cleared when `body` returns.
    func withFaults(_ body: (String) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            FaultInjection.reset()
            defer { FaultInjection.reset() }
            try await body(directory)
        }
    }

    /// The records of append number `batch`: `b<batch>-0`, `b<batch>-1`, ...
    func batch(_ batch: Int, count: Int = 10) -> [AppendRecord] {
        records(count, key: { _ in "k" }, prefix: "b\(batch)")
    }

    func texts(_ batches: Range<Int>, count: Int = 10) -> [String] {
        batches.flatMap { batch in (0..<count).map { "b\(batch)-\($0)" } }
    }

    func appendError(
        _ store: StreamStore,
        _ records: [AppendRecord],
        shard: ShardID = ShardID(0)
    ) async -> StreamQStorageError? {
        await #expect(throws: StreamQStorageError.self) { try await store.append(to: logs, shard: shard, records) }
    }

    /// A routed append whose records span two shards, one of which cannot write: the other shard's
    /// records are stored and reported stored, only the failing shard's are reported failed.
    @Test func aShardThatFailsFailsOnlyItsOwnRecords() async throws {
        try await withFaults { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 2)
            let records = (0..<200).map { AppendRecord(partitionKey: "key-\($0)", data: "r\($0)") }
            _ = FaultInjection.inject(.write, errno: EIO, times: nil) {
                $0.hasPrefix(directory + Self.shard0 + "/") && $0.hasSuffix(".seg")
            }
            let results = try await store.appendReportingEach(to: logs, records)
            let owners = try records.map { try store.shard(for: $0.hashKey, in: logs) }
            for (result, owner) in zip(results, owners) {
                switch result {
                case .success(let stored): #expect(stored.shard == owner && owner == ShardID(1))
                case .failure: #expect(owner == ShardID(0))
                }
            }
            #expect(owners.contains(ShardID(0)) && owners.contains(ShardID(1)))
            let stored = try readAll(store, logs, shard: ShardID(1)).map(\.text)
            #expect(
                stored
                    == zip(records, owners).filter { $0.1 == ShardID(1) }.map {
                        String(decoding: $0.0.data, as: UTF8.self)
                    }
            )
            try? await store.close()
        }
    }

    // MARK: Disk full

    @Test(arguments: [false, true])
    func aFullDiskFailsTheAppendClearlyKeepsEverythingAcknowledgedAndRecoversOnceSpaceIsFreed(
        partialWriteStays: Bool
    ) async throws {
        try await withFaults { directory in
            let shardDirectory = directory + Self.shard0
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 2)
            for index in 0..<3 { _ = try await store.append(to: logs, shard: ShardID(0), batch(index)) }

            // The disk fills in the middle of the next batch: 100 of its bytes reach the file.
            let full = FaultInjection.inject(.write, errno: ENOSPC, bytesBeforeFailure: 100, times: nil) {
                $0.hasPrefix(shardDirectory + "/") && $0.hasSuffix(".seg")
            }
            if partialWriteStays {  // the crash-like case: the partial batch is not cut off at once
                FaultInjection.inject(.truncate, errno: EIO) { $0.hasPrefix(shardDirectory + "/") }
            }
            let failed = await appendError(store, batch(3))
            #expect(failed?.code == .ioFailure)
            for part in [
                "stream 'logs'", "shardId-000000000000", shardDirectory + "/00000000000000000000.seg",
                "No space left on device",
            ] {
                #expect(failed?.message.contains(part) == true, "\(part) in: \(failed?.message ?? "")")
            }

            // Sticky: the shard refuses writes, naming the first failure, without touching the disk.
            let refused = await appendError(store, batch(4))
            #expect(refused?.code == .shardFailed)
            #expect(refused?.message.contains("No space left on device") == true)
            #expect(FaultInjection.hits(full) == 1)

            // Readers keep working: everything acknowledged, in this process and from a read-only store.
            #expect(try readAll(store, logs, shard: ShardID(0)).map(\.text) == texts(0..<3))
            let reader = try StreamStore(directory: directory, configuration: .forTesting(), mode: .readOnly)
            #expect(try readAll(reader, logs, shard: ShardID(0)).map(\.text) == texts(0..<3))
            // The other shard's files are untouched by the fault.
            _ = try await store.append(to: logs, shard: ShardID(1), batch(0))
            let closing = await #expect(throws: StreamQStorageError.self) { try await store.close() }
            #expect(closing?.code == .shardFailed)

            // Space is freed: the store reopens, drops the partial batch, and continues the sequence.
            FaultInjection.reset()
            let reopened = try StreamStore(directory: directory, configuration: .forTesting())
            #expect(reopened.recoveryNotes.count == (partialWriteStays ? 1 : 0))
            #expect(try readAll(reopened, logs, shard: ShardID(0)).map(\.text) == texts(0..<3))
            let next = try await reopened.append(to: logs, shard: ShardID(0), batch(5))
            #expect(next.sequence == 30, "no gap and no duplicate after the failed append")
            #expect(try readAll(reopened, logs, shard: ShardID(0)).map(\.text) == texts(0..<3) + texts(5..<6))
            #expect(try readAll(reopened, logs, shard: ShardID(1)).map(\.text) == texts(0..<1))
            try await reopened.close()
            try await reader.close()
        }
    }

    /// The files a roll writes, each of which a full disk (or a failing directory sync) can stop.
    enum RollStep: String, CaseIterable, Sendable {
        case index, newSegment, directorySync
    }

    @Test(arguments: RollStep.allCases)
    func aSegmentRollThatCannotWriteFailsClearlyAndLosesNothing(step: RollStep) async throws {
        try await withFaults { directory in
            let shardDirectory = directory + Self.shard0
            var configuration = StorageConfiguration.forTesting(segmentBytes: 4096)
            configuration.compression = .none
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: 1)
            let fault: FaultInjection.Token
            switch step {
            case .index:
                fault = FaultInjection.inject(.write, errno: ENOSPC, bytesBeforeFailure: 10, times: nil) {
                    $0.hasPrefix(shardDirectory + "/") && $0.contains(".idx")
                }
            case .newSegment:
                fault = FaultInjection.inject(.write, errno: ENOSPC, times: nil) {
                    $0.hasPrefix(shardDirectory + "/") && $0.hasSuffix(".seg")
                        && !$0.hasSuffix("/00000000000000000000.seg")
                }
            case .directorySync:
                fault = FaultInjection.inject(.sync, errno: EIO, times: nil) { $0 == shardDirectory }
            }

            // Appends of ~1.2 KiB fill the first 4 KiB segment; the one after that rolls and fails.
            var acknowledged = 0
            var failure: StreamQStorageError?
            while failure == nil && acknowledged < 50 {
                do {
                    _ = try await store.append(to: logs, shard: ShardID(0), batch(acknowledged, count: 40))
                    acknowledged += 1
                } catch let error as StreamQStorageError {
                    failure = error
                }
            }
            let error = try #require(failure)
            #expect(FaultInjection.hits(fault) == 1)
            for part in ["stream 'logs'", "shardId-000000000000", "starting a new segment", shardDirectory] {
                #expect(error.message.contains(part), "\(part) in: \(error.message)")
            }
            let refused = await appendError(store, batch(99))
            #expect(refused?.code == .shardFailed)
            #expect(
                try FileSystem.contents(of: shardDirectory).allSatisfy { !$0.contains(".tmp-") },
                "no partial temp file left"
            )
            #expect(try readAll(store, logs).map(\.text) == texts(0..<acknowledged, count: 40))
            _ = try? await store.close()

            // Reopened with larger segments, so the next appends go on into the first segment.
            FaultInjection.reset()
            configuration.segmentBytes = 1 << 20
            let reopened = try StreamStore(directory: directory, configuration: configuration)
            #expect(try readAll(reopened, logs).map(\.text) == texts(0..<acknowledged, count: 40))
            let next = try await reopened.append(to: logs, shard: ShardID(0), batch(acknowledged, count: 40))
            #expect(next.sequence == UInt64(acknowledged * 40))
            _ = try await reopened.append(to: logs, shard: ShardID(0), batch(acknowledged + 1, count: 40))
            #expect(try readAll(reopened, logs).map(\.text) == texts(0..<(acknowledged + 2), count: 40))
            let reader = try StreamStore(directory: directory, configuration: configuration, mode: .readOnly)
            #expect(try readAll(reader, logs).map(\.text) == texts(0..<(acknowledged + 2), count: 40))
            try await reader.close()
            try await reopened.close()
        }
    }

    @Test func aFullDiskWhileCreatingAStreamLeavesNoHalfMadeStream() async throws {
        try await withFaults { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            let full = FaultInjection.inject(.write, errno: ENOSPC, times: nil) { $0.hasPrefix(directory + "/") }
            let error = #expect(throws: StreamQStorageError.self) { try store.createStream(logs, shardCount: 2) }
            #expect(error?.code == .ioFailure)
            #expect(error?.message.contains("stream.meta") == true)
            #expect(error?.message.contains("No space left on device") == true)
            #expect(try store.listStreams() == [])

            FaultInjection.remove(full)
            try store.createStream(logs, shardCount: 2)
            _ = try await store.append(to: logs, records(10))
            #expect(try readAll(store, logs).count == 10)
            try await store.close()
        }
    }

    @Test func aFullDiskDuringAReshardKeepsTheOldShardMapAndItsData() async throws {
        try await withFaults { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, records(20))
            FaultInjection.inject(.write, errno: ENOSPC, times: nil) {
                $0.hasPrefix(directory + "/streams/logs/stream.meta")
            }
            let error = await #expect(throws: StreamQStorageError.self) {
                try await store.splitShard(logs, shard: ShardID(0), newStartingHashKey: HashKey(1) << 127)
            }
            #expect(error?.message.contains("stream.meta") == true)
            #expect(error?.message.contains("No space left on device") == true)
            #expect(try readAll(store, logs).count == 20)
            // Not committed: the parent takes writes again and the children's files are gone.
            #expect(try FileSystem.contents(of: directory + "/streams/logs/shards") == ["shardId-000000000000"])
            #expect(try await store.append(to: logs, records(1, prefix: "after"))[0].sequenceNumber.sequence == 20)
            try await store.close()

            FaultInjection.reset()
            let reopened = try StreamStore(directory: directory, configuration: .forTesting())
            let shards = try reopened.describeStream(logs).shards
            #expect(shards.map(\.id) == [ShardID(0)])
            #expect(shards[0].isOpen)
            #expect(try readAll(reopened, logs).map(\.text) == (0..<20).map { "record-\($0)" } + ["after-0"])
            let children = try await reopened.splitShard(logs, shard: ShardID(0), newStartingHashKey: HashKey(1) << 127)
            _ = try await reopened.append(to: logs, records(10, prefix: "split"))
            #expect(try children.flatMap { try readAll(reopened, logs, shard: $0) }.count == 10)
            try await reopened.close()
        }
    }

    @Test func aFailedAtomicReplaceKeepsTheOldContentAndLeavesNoTemporaryFile() async throws {
        // Stream metadata, sealed-segment indexes, consumer-group state and checkpoints all go
        // through this one routine.
        try await withFaults { directory in
            let path = directory + "/state.json"
            try FileSystem.writeAtomically(Array("old".utf8), to: path)
            for operation in [FaultInjection.Operation.write, .sync] {
                FaultInjection.inject(operation, errno: operation == .write ? ENOSPC : EIO, bytesBeforeFailure: 2) {
                    $0.hasPrefix(path)
                }
                #expect(throws: StreamQStorageError.self) {
                    try FileSystem.writeAtomically(Array("new content".utf8), to: path)
                }
                #expect(try FileSystem.readFile(path) == Array("old".utf8))
                #expect(try FileSystem.contents(of: directory) == ["state.json"])
            }
        }
    }

    @Test func aReaderInAnotherProcessLagsWhileTheWatermarkCannotBeWritten() async throws {
        try await withFaults { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, records(5))
            let reader = try StreamStore(directory: directory, configuration: .forTesting(), mode: .readOnly)
            let full = FaultInjection.inject(.write, errno: ENOSPC, times: nil) {
                // This test's files only: tests run in parallel.
                $0.hasPrefix(directory + "/") && $0.hasSuffix("/VISIBLE")
            }
            _ = try await store.append(to: logs, records(5, prefix: "more"))
            #expect(try readAll(store, logs).count == 10)
            #expect(
                try readAll(reader, logs).count == 5,
                "the old watermark still holds: the reader lags, it never over-reads"
            )
            FaultInjection.remove(full)
            _ = try await store.append(to: logs, records(5, prefix: "last"))
            #expect(try readAll(reader, logs).count == 15)
            try await reader.close()
            try await store.close()
        }
    }

    // MARK: fsync failure

    @Test func aFailedFsyncIsStickyNeverRetriedAndAcknowledgesNothingAfterIt() async throws {
        try await withFaults { directory in
            let shardDirectory = directory + Self.shard0
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, shard: ShardID(0), batch(0))
            let failing = FaultInjection.inject(.sync, errno: EIO, times: nil) {
                $0.hasPrefix(shardDirectory + "/") && $0.hasSuffix(".seg")
            }

            // Appends in flight together: the ones sharing the failed sync get its error, later
            // ones are refused; none is acknowledged.
            let outcomes = await withTaskGroup(of: StreamQStorageError?.self) { tasks in
                for index in 1...8 {
                    tasks.addTask {
                        do {
                            _ = try await store.append(to: logs, shard: ShardID(0), self.batch(index))
                            return nil
                        } catch {
                            return error as? StreamQStorageError
                        }
                    }
                }
                return await tasks.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 != nil }, "nothing is acknowledged after the failed fsync")
            let first = try #require(outcomes.compactMap { $0 }.first { $0.code == .ioFailure })
            for part in [
                "fdatasync", shardDirectory + "/00000000000000000000.seg", "stream 'logs'", "shardId-000000000000",
                "Input/output error",
            ] {
                #expect(first.message.contains(part), "\(part) in: \(first.message)")
            }
            for outcome in outcomes.compactMap({ $0 }) where outcome.code != .ioFailure {
                #expect(outcome.code == .shardFailed)
                #expect(outcome.message.contains("fdatasync"), "names the original failure: \(outcome.message)")
            }

            let later = await appendError(store, batch(9))
            #expect(later?.code == .shardFailed)
            await #expect(throws: StreamQStorageError.self) { try await store.flush() }
            #expect(FaultInjection.hits(failing) == 1, "the failed fsync is never retried")
            #expect(try readAll(store, logs).map(\.text) == texts(0..<1), "readers never see what was not made durable")
            await #expect(throws: StreamQStorageError.self) { try await store.close() }
            #expect(FaultInjection.hits(failing) == 1)

            // Reopened (the device works again): what was acknowledged is there, in order; batches
            // that were written but never acknowledged may or may not survive, as after a crash.
            FaultInjection.reset()
            let reopened = try StreamStore(directory: directory, configuration: .forTesting())
            let stored = try readAll(reopened, logs)
            #expect(Array(stored.prefix(10).map(\.text)) == texts(0..<1))
            #expect(stored.map(\.sequenceNumber.sequence) == Array(0..<UInt64(stored.count)))
            let next = try await reopened.append(to: logs, shard: ShardID(0), batch(10))
            #expect(next.sequence == UInt64(stored.count))
            try await reopened.close()
        }
    }

    /// The shards of a stream share one sync stage, and a round syncs them side by side: one
    /// shard's failed fsync fails its own records only; the other shard's are acknowledged, stored,
    /// and it takes further appends.
    @Test func aFailedFsyncOnOneShardFailsOnlyThatShardsRecords() async throws {
        try await withFaults { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 2)
            let records = (0..<200).map { AppendRecord(partitionKey: "key-\($0)", data: "r\($0)") }
            let failing = FaultInjection.inject(.sync, errno: EIO, times: nil) {
                $0.hasPrefix(directory + Self.shard0 + "/") && $0.hasSuffix(".seg")
            }
            let results = try await store.appendReportingEach(to: logs, records)
            let owners = try records.map { try store.shard(for: $0.hashKey, in: logs) }
            #expect(owners.contains(ShardID(0)) && owners.contains(ShardID(1)))
            for (result, owner) in zip(results, owners) {
                switch result {
                case .success(let stored): #expect(stored.shard == owner && owner == ShardID(1))
                case .failure(let error):
                    #expect(owner == ShardID(0))
                    #expect("\(error)".contains("fdatasync"), "names the failed sync: \(error)")
                }
            }
            #expect(FaultInjection.hits(failing) == 1, "the failed fsync is never retried")
            let expected = zip(records, owners).filter { $0.1 == ShardID(1) }.map {
                String(decoding: $0.0.data, as: UTF8.self)
            }
            #expect(try readAll(store, logs, shard: ShardID(1)).map(\.text) == expected)
            _ = try await store.append(to: logs, shard: ShardID(1), batch(1))
            #expect(try readAll(store, logs, shard: ShardID(1)).map(\.text) == expected + texts(1..<2))
            try? await store.close()
        }
    }

    @Test func aFailedFlushUnderTheNeverPolicyIsStickyToo() async throws {
        try await withFaults { directory in
            let shardDirectory = directory + Self.shard0
            let store = try StreamStore(directory: directory, configuration: .forTesting(fsync: .never))
            try store.createStream(logs, shardCount: 1)
            _ = try await store.append(to: logs, shard: ShardID(0), batch(0))
            let failing = FaultInjection.inject(.sync, errno: EIO, times: nil) { $0.hasPrefix(shardDirectory + "/") }
            let error = await #expect(throws: StreamQStorageError.self) { try await store.flush() }
            #expect(error?.message.contains("fdatasync") == true)
            #expect(error?.message.contains("stream 'logs'") == true)
            let refused = await appendError(store, batch(1))
            #expect(refused?.code == .shardFailed)
            await #expect(throws: StreamQStorageError.self) { try await store.flush() }
            #expect(FaultInjection.hits(failing) == 1)
            _ = try? await store.close()
        }
    }

    // MARK: Read errors

    @Test func aReadErrorIsReportedWithFileAndOffsetAndNeverReturnedAsData() async throws {
        try await withFaults { directory in
            let segment = directory + Self.shard0 + "/00000000000000000000.seg"
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            for index in 0..<3 { _ = try await store.append(to: logs, shard: ShardID(0), batch(index)) }
            let reader = try StreamStore(directory: directory, configuration: .forTesting(), mode: .readOnly)
            let start = try store.cursor(stream: logs, shard: ShardID(0), at: .trimHorizon)

            for source in [store, reader] {
                FaultInjection.inject(.read, errno: EIO) { $0 == segment }
                var seen: [String] = []
                let error = #expect(throws: StreamQStorageError.self) {
                    _ = try source.scan(start) { seen.append(String(decoding: $0.data, as: UTF8.self)) }
                }
                #expect(error?.code == .ioFailure)
                #expect(error?.message.contains("pread \(segment) at byte ") == true, "\(error?.message ?? "")")
                #expect(error?.message.contains("Input/output error") == true)
                #expect(seen.isEmpty)
                // Read errors are not sticky: the next read goes to the disk again.
                #expect(try source.read(start).records.map(\.text) == texts(0..<3))
            }
            try await reader.close()
            try await store.close()
        }
    }

    @Test func aReadErrorWhileRecoveringStopsTheOpenAndRepairsNothing() async throws {
        try await withFaults { directory in
            let segment = directory + Self.shard0 + "/00000000000000000000.seg"
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            for index in 0..<3 { _ = try await store.append(to: logs, shard: ShardID(0), batch(index)) }
            try await store.close()
            let size = try FileSystem.readFile(segment).count

            FaultInjection.inject(.read, errno: EIO, times: nil) { $0 == segment }
            let error = #expect(throws: StreamQStorageError.self) {
                try StreamStore(directory: directory, configuration: .forTesting())
            }
            #expect(error?.code == .ioFailure)
            #expect(error?.message.contains(segment) == true)
            FaultInjection.reset()
            #expect(try FileSystem.readFile(segment).count == size, "not mistaken for a torn tail")

            let reopened = try StreamStore(directory: directory, configuration: .forTesting())
            #expect(reopened.recoveryNotes.isEmpty)
            #expect(try readAll(reopened, logs).map(\.text) == texts(0..<3))
            try await reopened.close()
        }
    }
}
