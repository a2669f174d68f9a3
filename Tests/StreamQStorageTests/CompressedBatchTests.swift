import Testing

@testable import StreamQStorage

/// `CompressedBatch`: a payload compressed by a client is stored as it came once every record is
/// checked, and a payload that is wrong anywhere is refused with the record and the reason.
@Suite struct CompressedBatchTests {
    static let everyKey = HashKeyRange(start: 0, end: .max)

    static func encoded(_ count: Int, key: (Int) -> String = { "key-\($0)" }) -> EncodedRecords {
        var records = EncodedRecords()
        for index in 0..<count {
            Array("record-\(index)".utf8).withUnsafeBytes { records.append(partitionKey: key(index), data: $0) }
        }
        return records
    }

    static func validated(
        _ bytes: [UInt8],
        compressed: Bool,
        rawLength: Int,
        count: Int,
        hashKeys: HashKeyRange = everyKey,
        maxRecordBytes: Int = 1 << 20
    ) throws -> CompressedBatch {
        try CompressedBatch(
            validating: bytes,
            checksum: bytes.withUnsafeBytes { CRC32C.checksum($0) },
            isCompressed: compressed,
            rawLength: rawLength,
            recordCount: count,
            hashKeys: hashKeys,
            maxRecordBytes: maxRecordBytes,
            maxBatchBytes: 2 << 20
        )
    }

    @Test func aCheckedBatchIsStoredAsItCame() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 1)
            let records = Self.encoded(300)
            let sent = try CompressedBatch(compressing: records, level: 1)
            #expect(sent.isCompressed)
            let received = try Self.validated(sent.bytes, compressed: true, rawLength: sent.rawLength, count: 300)
            let first: SequenceNumber = try await withCheckedThrowingContinuation { continuation in
                do {
                    try store.enqueueAppend(to: logs, shard: ShardID(0), compressed: received) {
                        continuation.resume(with: $0)
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            #expect(first.sequence == 0)
            let all = try readAll(store, logs)
            #expect(all.map(\.text) == (0..<300).map { "record-\($0)" })
            #expect(all.map(\.partitionKey) == (0..<300).map { "key-\($0)" })
            try await store.close()
        }
    }

    @Test func aPayloadThatDoesNotMatchWhatItClaimsIsRefused() throws {
        let sent = try CompressedBatch(compressing: Self.encoded(50), level: 1)
        var flipped = sent.bytes
        flipped[flipped.count / 2] ^= 0x41
        let cases: [(String, () throws -> CompressedBatch)] = [
            (
                "one record more",
                { try Self.validated(sent.bytes, compressed: true, rawLength: sent.rawLength, count: 51) }
            ),
            (
                "one record fewer",
                { try Self.validated(sent.bytes, compressed: true, rawLength: sent.rawLength, count: 49) }
            ),
            (
                "a longer raw length",
                { try Self.validated(sent.bytes, compressed: true, rawLength: sent.rawLength + 1, count: 50) }
            ),
            (
                "a flipped byte and the sender's checksum",
                {
                    try CompressedBatch(
                        validating: flipped,
                        checksum: sent.checksum,
                        isCompressed: true,
                        rawLength: sent.rawLength,
                        recordCount: 50,
                        hashKeys: Self.everyKey,
                        maxRecordBytes: 1 << 20,
                        maxBatchBytes: 2 << 20
                    )
                }
            ),
            (
                "not compressed after all",
                { try Self.validated(sent.bytes, compressed: false, rawLength: sent.rawLength, count: 50) }
            ),
            ("no records", { try Self.validated([], compressed: false, rawLength: 0, count: 0) }),
        ]
        for (name, make) in cases {
            #expect(throws: StreamQStorageError.self, "\(name)") { try make() }
        }
    }

    @Test func aRecordOfAnotherShardIsNamed() throws {
        let ranges = HashKeyRange.evenSplit(into: 2)
        let records = Self.encoded(100)
        let keys = (0..<100).map { "key-\($0)" }
        let stray = try #require(keys.firstIndex { !ranges[0].contains(HashKey.forPartitionKey($0)) })
        let sent = try CompressedBatch(compressing: records, level: 1)
        let error = #expect(throws: StreamQStorageError.self) {
            try Self.validated(sent.bytes, compressed: true, rawLength: sent.rawLength, count: 100, hashKeys: ranges[0])
        }
        #expect(error?.message.contains("record \(stray): partition key key-\(stray) hashes outside") == true)
        // The same records, all of the shard they route to, pass.
        let own = keys.filter { ranges[1].contains(HashKey.forPartitionKey($0)) }
        let ownRecords = Self.encoded(own.count) { own[$0] }
        let ownBatch = try CompressedBatch(compressing: ownRecords, level: 1)
        _ = try Self.validated(
            ownBatch.bytes,
            compressed: ownBatch.isCompressed,
            rawLength: ownBatch.rawLength,
            count: own.count,
            hashKeys: ranges[1]
        )
    }

    @Test func badKeysDataAndArrivalTimesAreNamed() throws {
        let records = Self.encoded(3) { ["aaaa", "bbbb", "cccc"][$0] }
        let raw = records.bytes
        let keyAt = try #require(raw.indices.first { raw[$0...].starts(with: Array("bbbb".utf8)) })
        var badKey = raw
        badKey[keyAt] = 0xFF  // not UTF-8
        // Record 1's timestamp delta is the byte after its length and attributes.
        var ownTime = raw
        ownTime[keyAt - 2] = 1
        let cases: [(String, String, () throws -> CompressedBatch)] = [
            (
                "key", "record 1: partition key",
                { try Self.validated(badKey, compressed: false, rawLength: raw.count, count: 3) }
            ),
            (
                "time", "record 1: it has an arrival time",
                { try Self.validated(ownTime, compressed: false, rawLength: raw.count, count: 3) }
            ),
            (
                "size", "record 0: data is 8 bytes",
                { try Self.validated(raw, compressed: false, rawLength: raw.count, count: 3, maxRecordBytes: 4) }
            ),
        ]
        for (name, message, make) in cases {
            let error = #expect(throws: StreamQStorageError.self, "\(name)") { try make() }
            #expect(error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
        }
        _ = try Self.validated(raw, compressed: false, rawLength: raw.count, count: 3)
    }
}
