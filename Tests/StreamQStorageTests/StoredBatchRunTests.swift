import Testing

@testable import StreamQStorage

/// `StreamStore.storedBatches` and `StoredBatchRun.decode`: the batches a read returns as stored
/// hold exactly the records a scan of the same cursor returns, and a damaged run is refused.
@Suite struct StoredBatchRunTests {
    /// Five appends of 30 records each (five batches), with keys and arrival times that differ.
    func withFiveBatches(
        compression: Compression = .zstd(level: 1),
        _ body: (StreamStore, ManualClock) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            var configuration = StorageConfiguration.forTesting(clock: clock)
            configuration.compression = compression
            let store = try StreamStore(directory: directory, configuration: configuration)
            try store.createStream(logs, shardCount: 1)
            for append in 0..<5 {
                _ = try await store.append(to: logs, records(30, prefix: "append-\(append)"))
                clock.advance(by: 1000)
            }
            try await body(store, clock)
            try await store.close()
        }
    }

    struct Seen: Equatable {
        var sequence: UInt64
        var arrival: Int64
        var key: [UInt8]
        var data: [UInt8]
    }

    func scanned(_ store: StreamStore, _ cursor: ShardCursor, maxRecords: Int) throws -> ([Seen], ScanResult) {
        var seen: [Seen] = []
        let result = try store.scan(cursor, maxRecords: maxRecords) { record in
            seen.append(
                Seen(
                    sequence: record.sequence,
                    arrival: record.arrivalMilliseconds,
                    key: Array(record.partitionKey),
                    data: Array(record.data)
                )
            )
        }
        return (seen, result)
    }

    func decoded(_ run: StoredBatchRun) throws -> [Seen] {
        var places: [StoredBatchRun.RecordPlace] = []
        let payload = try run.decode { places.append($0) }
        return places.map {
            Seen(
                sequence: $0.sequence,
                arrival: $0.arrivalMilliseconds,
                key: Array(payload[$0.partitionKey]),
                data: Array(payload[$0.data])
            )
        }
    }

    @Test(arguments: [Compression.none, .zstd(level: 1)])
    func aRunHoldsExactlyTheRecordsAScanReturns(compression: Compression) async throws {
        try await withFiveBatches(compression: compression) { store, _ in
            for start: UInt64 in [0, 1, 29, 30, 31, 75, 149] {
                for limit in [1, 7, 30, 45, 1000] {
                    let cursor = ShardCursor(stream: logs, shard: ShardID(0), sequence: start)
                    let (expected, scan) = try scanned(store, cursor, maxRecords: limit)
                    let read = try #require(try store.storedBatches(cursor, maxRecords: limit, maxBytes: 10 << 20))
                    #expect(try decoded(read.run) == expected, "from \(start), limit \(limit)")
                    #expect(read.next?.sequence == scan.next?.sequence)
                    #expect(read.trimmedTo == nil)
                    #expect(read.run.firstSequence == start)
                }
            }
        }
    }

    @Test func theLastArrivalIsExactAtABatchEndAndALowerBoundInside() async throws {
        try await withFiveBatches { store, _ in
            let cursor = ShardCursor(stream: logs, shard: ShardID(0), sequence: 0)
            let whole = try #require(try store.storedBatches(cursor, maxRecords: 30, maxBytes: 10 << 20))
            let part = try #require(try store.storedBatches(cursor, maxRecords: 10, maxBytes: 10 << 20))
            let (records, _) = try scanned(store, cursor, maxRecords: 30)
            #expect(whole.lastArrivalMilliseconds == records[29].arrival)
            #expect(part.lastArrivalMilliseconds <= records[9].arrival)
            #expect(whole.newestArrivalMilliseconds == records[0].arrival + 4000)
            // Limits and metrics count the records' own bytes, not the compressed run's.
            let recordBytes = records.reduce(0) { $0 + $1.key.count + $1.data.count }
            #expect(whole.recordBytes >= recordBytes && whole.recordBytes < 2 * recordBytes)
            #expect(part.recordBytes == whole.recordBytes / 3)
        }
    }

    @Test func nothingIsReturnedPastTheEndOfTheShard() async throws {
        try await withFiveBatches { store, _ in
            let cursor = ShardCursor(stream: logs, shard: ShardID(0), sequence: 150)
            let found = try store.storedBatches(cursor, maxRecords: 10, maxBytes: 10 << 20)
            #expect(found == nil)
        }
    }

    @Test func aFlippedByteAnywhereInARunIsRefused() async throws {
        try await withFiveBatches { store, _ in
            let cursor = ShardCursor(stream: logs, shard: ShardID(0), sequence: 0)
            let run = try #require(try store.storedBatches(cursor, maxRecords: 90, maxBytes: 10 << 20)).run
            #expect(try decoded(run).count == 90)
            for byte in stride(from: 0, to: run.bytes.count, by: max(1, run.bytes.count / 97)) {
                var damaged = run
                damaged.bytes[byte] ^= 0x20
                let error = #expect(throws: StreamQStorageError.self) { try decoded(damaged) }
                #expect(error?.code == .corruption, "byte \(byte)")
            }
        }
    }

    @Test func aRunMissingABatchOrTheRecordsAskedForIsRefused() async throws {
        try await withFiveBatches { store, _ in
            let cursor = ShardCursor(stream: logs, shard: ShardID(0), sequence: 0)
            let run = try #require(try store.storedBatches(cursor, maxRecords: 90, maxBytes: 10 << 20)).run
            let firstLength = run.bytes.withUnsafeBytes { Int($0.loadLittleEndian(at: 4, as: UInt32.self)) }
            let secondLength = run.bytes.withUnsafeBytes {
                Int($0.loadLittleEndian(at: firstLength + 4, as: UInt32.self))
            }
            var gap = run
            gap.bytes.removeSubrange(firstLength..<(firstLength + secondLength))
            var truncated = run
            truncated.bytes.removeLast(7)
            var pastTheEnd = run
            pastTheEnd.endSequence = 91
            var beforeTheStart = run
            beforeTheStart.bytes.removeFirst(firstLength)
            beforeTheStart.firstSequence = 29
            var empty = run
            empty.endSequence = empty.firstSequence
            for (name, damaged) in [
                ("gap", gap), ("truncated", truncated), ("past the end", pastTheEnd),
                ("before the start", beforeTheStart), ("empty", empty),
            ] {
                let error = #expect(throws: StreamQStorageError.self, "\(name)") { try decoded(damaged) }
                #expect(error?.code == .corruption, "\(name)")
            }
        }
    }
}
