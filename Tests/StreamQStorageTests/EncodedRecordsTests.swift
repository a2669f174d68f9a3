import Testing

@testable import StreamQStorage

@Suite struct EncodedRecordsTests {
    /// Records with keys of every length (a short key goes out with the record's head, a long one
    /// on its own), with and without an explicit hash key, and data either side of a varint's
    /// step, each take the bytes `encodedLength` says and are stored and read back as given.
    @Test func recordsOfEveryKeyAndDataLengthAreStoredAsGiven() async throws {
        let keys = [
            "k", String(repeating: "a", count: 16), String(repeating: "b", count: 33),
            String(repeating: "é", count: 256),
        ]
        var given: [AppendRecord] = []
        for (index, key) in keys.enumerated() {
            for size in [0, 1, 127, 128, 16_383, 16_384] {
                for hashKey in [nil, HashKey(index * 100_000 + size)] {
                    let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                    given.append(AppendRecord(partitionKey: key, explicitHashKey: hashKey, data: data))
                }
            }
        }
        var encoded = EncodedRecords()
        var bytes = 0
        for record in given {
            if record.explicitHashKey == nil {
                record.data.withUnsafeBytes { encoded.append(partitionKey: record.partitionKey, data: $0) }
            } else {
                encoded.append(record)
            }
            bytes += EncodedRecords.encodedLength(of: record)
            #expect(encoded.byteCount == bytes)
        }
        #expect(encoded.count == given.count && encoded.invalidKey == nil)
        #expect(
            writtenInPlace(given.filter { $0.explicitHashKey == nil }).bytes
                == copied(given.filter { $0.explicitHashKey == nil }).bytes
        )
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            _ = try await withCheckedThrowingContinuation { continuation in
                do {
                    try store.enqueueAppend(to: logs, shard: ShardID(0), encoded: encoded) {
                        continuation.resume(with: $0)
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            let stored = try readAll(store, logs)
            #expect(stored.map(\.partitionKey) == given.map(\.partitionKey))
            #expect(stored.map(\.explicitHashKey) == given.map(\.explicitHashKey))
            #expect(stored.map(\.data) == given.map(\.data))
            try await store.close()
        }
    }

    /// Data written in place, into room as large as it or larger (its head then shrinks, the
    /// length taking fewer bytes), is stored as data copied in; a write that adds nothing leaves
    /// the records as they were.
    @Test func dataWrittenInPlaceIsStoredAsDataCopiedIn() {
        let given: [AppendRecord] = [0, 1, 100, 127, 128, 200, 16_383, 16_384, 20_000].flatMap { size in
            ["k", String(repeating: "a", count: 16), String(repeating: "é", count: 256)].map {
                AppendRecord(partitionKey: $0, data: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            }
        }
        let expected = copied(given)
        for extraRoom in [0, 1, 100, 20_000] {
            #expect(writtenInPlace(given, extraRoom: extraRoom).bytes == expected.bytes)
        }
        var records = writtenInPlace(given)
        let written = records.append(partitionKey: "k", maxDataBytes: 100) { _ -> Int? in nil }
        #expect(written == nil && records.bytes == expected.bytes && records.count == given.count)
    }

    private func copied(_ records: [AppendRecord]) -> EncodedRecords {
        var encoded = EncodedRecords()
        for record in records {
            record.data.withUnsafeBytes { encoded.append(partitionKey: record.partitionKey, data: $0) }
        }
        return encoded
    }

    private func writtenInPlace(_ records: [AppendRecord], extraRoom: Int = 3) -> EncodedRecords {
        var encoded = EncodedRecords()
        for record in records {
            let written = encoded.append(partitionKey: record.partitionKey, maxDataBytes: record.data.count + extraRoom)
            {
                target in
                record.data.withUnsafeBytes { data in
                    if let base = data.baseAddress { target.copyMemory(from: base, byteCount: data.count) }
                }
                return record.data.count
            }
            #expect(written == record.data.count)
        }
        return encoded
    }
}
