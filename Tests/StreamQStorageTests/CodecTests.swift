import PropertyBased
import Testing

@testable import StreamQStorage

@Suite struct CodecTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    /// The CPU's instruction (where there is one) gives the table's CRC at any length, alignment
    /// and seed.
    @Test func crc32cIsTheSameWithAndWithoutTheInstruction() async {
        await propertyCheck(
            input: Gen<UInt8>.value(in: 0...255).array(of: 0...300),
            Gen.int(in: 0...7),
            Gen<UInt32>.value(in: 0...UInt32.max)
        ) { bytes, skip, seed in
            bytes.withUnsafeBytes { raw in
                let tail = UnsafeRawBufferPointer(rebasing: raw[min(skip, raw.count)...])
                #expect(CRC32C.checksum(tail, seed: seed) == CRC32C.softwareChecksum(tail, seed: seed))
            }
        }
    }

    @Test func crc32cCanBeComputedInPieces() async {
        await propertyCheck(input: Gen<UInt8>.value(in: 0...255).array(of: 0...300), Gen.int(in: 0...300)) {
            bytes,
            cut in
            let split = min(cut, bytes.count)
            let whole = CRC32C.checksum(bytes)
            let first = CRC32C.checksum(Array(bytes[..<split]))
            #expect(CRC32C.checksum(Array(bytes[split...]), seed: first) == whole)
        }
    }

    static let recordGenerator = zip(
        Gen.letterOrNumber.string(of: 1...40),
        Gen<UInt8>.value(in: 0...255).array(of: 0...600),
        Gen.bool
    ).map { key, data, explicit in
        AppendRecord(
            partitionKey: key,
            explicitHashKey: explicit ? HashKey.forPartitionKey(key + "!") : nil,
            data: data
        )
    }

    @Test(arguments: [Compression.none, .zstd(level: 1), .zstd(level: 9)])
    func batchesRoundTrip(compression: Compression) async {
        await propertyCheck(input: Self.recordGenerator.array(of: 1...50), Gen.int64(in: 0...Int64.max / 2)) {
            records,
            time in
            var bytes: [UInt8] = []
            let encoder = BatchEncoder(compression: compression)
            let written = try encoder.encode(records[...], baseSequence: 1000, timestamp: time, appendingTo: &bytes)
            let header = try bytes.withUnsafeBytes { try BatchHeader.parse($0, maxBatchLength: 1 << 24).get() }
            #expect(header == written)
            #expect(Int(header.batchLength) == bytes.count)
            var decoded: [StoredRecord] = []
            let problem = try bytes.withUnsafeBytes { raw in
                try BatchDecoder().forEachRecord(header: header, payload: UnsafeRawBufferPointer(rebasing: raw[80...]))
                {
                    decoded.append($0.materialize(shard: ShardID(3)))
                    return true
                }
            }
            #expect(problem == nil)
            #expect(decoded.map(\.data) == records.map(\.data))
            #expect(decoded.map(\.partitionKey) == records.map(\.partitionKey))
            #expect(decoded.map(\.explicitHashKey) == records.map(\.explicitHashKey))
            #expect(decoded.map(\.sequenceNumber.sequence) == Array(1000..<(1000 + UInt64(records.count))))
            #expect(decoded.allSatisfy { $0.arrivalMilliseconds == time })
        }
    }

    @Test func anyFlippedBitInABatchIsDetected() async {
        var bytes: [UInt8] = []
        _ = try? BatchEncoder(compression: .zstd(level: 1)).encode(
            records(20)[...],
            baseSequence: 0,
            timestamp: 5,
            appendingTo: &bytes
        )
        await propertyCheck(input: Gen.int(in: 0...(bytes.count * 8 - 1))) { bit in
            var damaged = bytes
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            let detected = try damaged.withUnsafeBytes { raw -> Bool in
                guard case .success(let header) = BatchHeader.parse(raw, maxBatchLength: 1 << 24),
                    Int(header.batchLength) == raw.count
                else { return true }
                return try BatchDecoder().forEachRecord(
                    header: header,
                    payload: UnsafeRawBufferPointer(rebasing: raw[80...])
                ) { _ in true } != nil
            }
            #expect(detected, "flipping bit \(bit) went unnoticed")
        }
    }

    @Test func sequenceNumbersRoundTripThroughTheirDecimalForm() async {
        await propertyCheck(input: Gen.uint64(in: 0...UInt64.max), Gen.uint32(in: 0...UInt32.max)) { sequence, shard in
            let number = SequenceNumber(sequence: sequence, shard: ShardID(shard))
            #expect(SequenceNumber(number.description) == number)
        }
        #expect(SequenceNumber("not a number") == nil)
        #expect(SequenceNumber("-1") == nil)
    }

    @Test func shardIDsParseInEveryAcceptedSpelling() {
        #expect(ShardID(parsing: "shardId-000000000007") == ShardID(7))
        #expect(ShardID(parsing: "shard-7") == ShardID(7))
        #expect(ShardID(parsing: "7") == ShardID(7))
        #expect(ShardID(parsing: "shardId-") == nil)
        #expect(ShardID(parsing: "seven") == nil)
        #expect(ShardID(7).description == "shardId-000000000007")
    }
}

@Suite struct RoutingTests {
    @Test func partitionKeysHashWithMD5AsKinesisDoes() {
        // Values computed independently with Python's hashlib.md5, read big-endian.
        #expect(HashKey.forPartitionKey("a") == HashKey("16955237001963240173058271559858726497"))
        #expect(HashKey.forPartitionKey("user-1") == HashKey("285573413173782752570879317399258818820"))
    }

    @Test func manyPartitionKeysHashAsOneAtATime() {
        // Every length around the one-block limit (55 bytes), multi-byte characters, and counts
        // that leave some SIMD lanes unused.
        let ascii = (Array(0...70) + [120, 256]).map { String(repeating: "k", count: $0) }
        let letters = Array("abcdéfgh€")
        let keys = ascii + (40...60).map { length in String((0..<length).map { letters[$0 % letters.count] }) }
        for count in [0, 1, 7, 8, 9, keys.count] {
            let some = Array(keys.prefix(count))
            #expect(HashKey.forPartitionKeys(some) == some.map(HashKey.forPartitionKey))
        }
        #expect(
            HashKey.forPartitionKeys(["a", "user-1"]) == [
                HashKey("16955237001963240173058271559858726497"), HashKey("285573413173782752570879317399258818820"),
            ]
        )
    }

    /// Runs of one key take the run's first hash: runs of short keys, of a key too long for one
    /// block (hashed one by one), of the empty key, and keys differing only in their last byte.
    @Test func runsOfOneKeyHashAsOneAtATime() {
        let long = String(repeating: "x", count: 80)
        let runs = [
            ("a", 3), ("b", 1), ("a", 2), ("", 2), (long, 3), (long + "y", 1), ("k1", 9), ("k2", 9), ("user-1", 20),
        ]
        let keys = runs.flatMap { key, count in Array(repeating: key, count: count) }
        let expected = keys.map(HashKey.forPartitionKey)
        #expect(HashKey.forPartitionKeys(keys) == expected)
        let utf8 = keys.map { key -> UnsafeRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: key.utf8.count, alignment: 1)
            buffer.copyBytes(from: key.utf8)
            return UnsafeRawBufferPointer(buffer)
        }
        defer { for key in utf8 { key.deallocate() } }
        #expect(HashKey.forPartitionKeys(utf8: utf8) == expected)
    }

    @Test(arguments: [1, 2, 3, 4, 7, 16, 1024])
    func evenSplitCoversTheKeySpaceWithoutGapsOrOverlaps(count: Int) {
        let ranges = HashKeyRange.evenSplit(into: count)
        #expect(ranges.count == count)
        #expect(ranges.first?.start == 0)
        #expect(ranges.last?.end == .max)
        for (left, right) in zip(ranges, ranges.dropFirst()) { #expect(left.end + 1 == right.start) }
        let sizes = ranges.map { $0.end - $0.start }
        #expect(sizes.max()! - sizes.min()! <= UInt128(count))
    }

    @Test func recordsGoToTheShardOwningTheirHashKey() async throws {
        try await withTemporaryDirectory { directory in
            let store = try StreamStore(directory: directory, configuration: .forTesting())
            try store.createStream(logs, shardCount: 5)
            let description = try store.describeStream(logs)
            await propertyCheck(count: 50, input: CodecTests.recordGenerator.array(of: 1...20)) { batch in
                let results = try await store.append(to: logs, batch)
                for (record, result) in zip(batch, results) {
                    let owner = description.shards.first { $0.hashKeyRange.contains(record.hashKey) }
                    #expect(result.shard == owner?.id)
                }
            }
            try await store.close()
        }
    }
}
