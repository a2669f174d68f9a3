import Synchronization
import Testing

@testable import StreamQStorage

/// Appends a fixed count while readers follow and retention deletes segments under them.
@Suite struct SustainedLoadTests {
    static let shardCount = 4
    static let recordsPerShard = 50_000
    static let recordsPerAppend = 500

    /// What every shard stores at `sequence` (shards start at sequence 0), so any read can be checked.
    static func record(shard: Int, sequence: Int) -> AppendRecord {
        AppendRecord(
            partitionKey: "k\(sequence % 13)",
            data: "s\(shard)-\(sequence)-" + String(repeating: "abcdefghij", count: 1 + sequence % 4)
        )
    }

    /// What a follower saw of one shard.
    struct FollowReport: Sendable {
        var shard: Int
        var seen = 0
        /// Records retention deleted before the follower got to them.
        var skipped = 0
        var mismatches: [String] = []
    }

    final class Progress: Sendable {
        let writersDone = Atomic<Int>(0)
        var writing: Bool { writersDone.load(ordering: .acquiring) < SustainedLoadTests.shardCount }
    }

    @Test func everyRecordReadEqualsWhatWasWrittenWhileRetentionDeletesSegments() async throws {
        try await withTemporaryDirectory { directory in
            var configuration = StorageConfiguration.forTesting(segmentBytes: 4096)
            configuration.compression = .none
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: Self.shardCount, retentionBytes: 16 << 10)
            let reader = try StreamStore(directory: directory, configuration: configuration, mode: .readOnly)
            let progress = Progress()

            let reports = try await withThrowingTaskGroup(of: FollowReport?.self) { tasks in
                for shard in 0..<Self.shardCount {
                    tasks.addTask {
                        try await Self.write(shard: shard, to: store)
                        progress.writersDone.add(1, ordering: .releasing)
                        return nil
                    }
                    for source in [store, reader] {
                        tasks.addTask { try await Self.follow(shard: shard, in: source) }
                    }
                }
                tasks.addTask {
                    while progress.writing {
                        try await store.runMaintenance()
                        try await Task.sleep(for: .milliseconds(2))
                    }
                    return nil
                }
                return try await tasks.reduce(into: [FollowReport]()) { if let report = $1 { $0.append(report) } }
            }

            #expect(reports.count == 2 * Self.shardCount)
            for report in reports {
                #expect(report.mismatches.isEmpty, "shard \(report.shard): \(report.mismatches.prefix(5))")
                #expect(report.seen + report.skipped == Self.recordsPerShard, "shard \(report.shard)")
            }
            try await store.runMaintenance()
            for shard in try store.describeStream(logs).shards {
                #expect(shard.storedSequences.upperBound == UInt64(Self.recordsPerShard))
                #expect(shard.storedSequences.lowerBound > 0, "retention deleted old segments")
                #expect(shard.bytesOnDisk <= (16 << 10) + configuration.segmentBytes + configuration.maxBatchBytes)
            }
            try await reader.close()
            try await store.close()
        }
    }

    static func write(shard: Int, to store: StreamStore) async throws {
        for first in stride(from: 0, to: recordsPerShard, by: recordsPerAppend) {
            let records = (first..<(first + recordsPerAppend)).map { record(shard: shard, sequence: $0) }
            let base = try await store.append(to: logs, shard: ShardID(UInt32(shard)), records)
            guard base.sequence == UInt64(first) else {
                throw StreamQStorageError(
                    .corruption,
                    "shard \(shard): append got sequence \(base.sequence), expected \(first)"
                )
            }
        }
    }

    /// Reads a shard from its trim horizon to the last record, checking each against what was
    /// written at its sequence; a jump is allowed only where the read reports a retention trim.
    static func follow(shard: Int, in source: StreamStore) async throws -> FollowReport {
        var report = FollowReport(shard: shard)
        var cursor = try source.cursor(stream: logs, shard: ShardID(UInt32(shard)), at: .trimHorizon)
        var expected = Int(cursor.sequence)
        report.skipped = expected
        while expected < recordsPerShard {
            try Task.checkCancellation()  // another task failed
            let result = try source.read(cursor, maxRecords: 100)
            if let trimmedTo = result.trimmedTo.map(Int.init) {
                if trimmedTo < expected {
                    report.mismatches.append("trimmed back to \(trimmedTo) after reading up to \(expected)")
                }
                report.skipped += trimmedTo - expected
                expected = trimmedTo
            }
            for stored in result.records {
                let written = record(shard: shard, sequence: expected)
                if stored.sequenceNumber.sequence != UInt64(expected) || stored.data != written.data
                    || stored.partitionKey != written.partitionKey
                {
                    report.mismatches.append("at \(expected): got \(stored.sequenceNumber.sequence) '\(stored.text)'")
                }
                expected = Int(stored.sequenceNumber.sequence) + 1
                report.seen += 1
            }
            cursor = try #require(result.next)
            if result.records.isEmpty {
                try await source.waitForRecords(at: cursor, timeout: .seconds(1))
            }
        }
        return report
    }
}
