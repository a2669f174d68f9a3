import StreamQAWS
import StreamQStorage
import Testing

@testable import StreamQRemote

@Suite struct GetRecordsDecodingTests {
    /// A GetRecords answer as AWS writes it: epoch seconds in scientific notation, base64 data.
    static let answer = """
        {"MillisBehindLatest": 12, "NextShardIterator":"AAAA/iter+==",
         "Records":[{"ApproximateArrivalTimestamp":1.767225600253E9,"Data":"aGVsbG8=","EncryptionType":"NONE",
        "PartitionKey":"user-1","SequenceNumber":"49590338271490256608559692538361571095921575989136588898"},
        {"SequenceNumber":"2","PartitionKey":"k","Data":"","ApproximateArrivalTimestamp":1767225601},
        {"SequenceNumber":"3","PartitionKey":"k","Data":"","ApproximateArrivalTimestamp":1767225602.25},
        {"SequenceNumber":"4","PartitionKey":"k","Data":"","ApproximateArrivalTimestamp":1767225603.1256}]}
        """

    @Test func theFastPathReadsWhatTheGeneralDecoderReads() throws {
        let bytes = Array(Self.answer.utf8)
        let fast = try #require(GetRecordsOutput(fastDecoding: bytes))
        let general = try GetRecordsOutput(ResponseReader("GetRecords", try AWSJSON.decode(bytes)))
        #expect(fast == general)
        #expect(fast.records.map(\.data) == [Array("hello".utf8), [], [], []])
        #expect(
            fast.records.map(\.approximateArrivalMilliseconds) == [
                1_767_225_600_253, 1_767_225_601_000, 1_767_225_602_250, 1_767_225_603_126,
            ]
        )
        #expect(fast.nextShardIterator == "AAAA/iter+==")
        #expect(fast.millisBehindLatest == 12)
    }

    @Test func unusualAnswersAreLeftToTheGeneralDecoder() {
        for unusual in [
            // A closed shard's end: children are read by the general decoder.
            #"{"Records":[],"MillisBehindLatest":0,"ChildShards":[]}"#,
            #"{"Records":[{"SequenceNumber":"1","PartitionKey":"a\"b","Data":""}],"NextShardIterator":"i"}"#,
            #"{"Records":[{"SequenceNumber":"1","PartitionKey":"k","Data":"!!"}],"NextShardIterator":"i"}"#,
            #"{"Records":[{"SequenceNumber":"1","PartitionKey":"k","Data":"","ApproximateArrivalTimestamp":1e999}],"NextShardIterator":"i"}"#,
            #"{"Records":[{"SequenceNumber":"1","PartitionKey":"k","Data":"","New":1}],"NextShardIterator":"i"}"#,
            #"{"Records":[],"NextShardIterator":"i"} trailing"#,
            "",
        ] {
            #expect(GetRecordsOutput(fastDecoding: Array(unusual.utf8)) == nil, "\(unusual)")
        }
    }

    /// A CBOR answer as `streamq serve` writes it (an indefinite-length Records array, tag 1 around
    /// milliseconds, data as bytes) reads the same directly as through the general decoder.
    @Test func theCBORFastPathReadsWhatTheGeneralDecoderReads() throws {
        func record(_ sequence: String, _ key: String, _ data: [UInt8], _ arrival: Int64) -> AWSValue {
            .map([
                "ApproximateArrivalTimestamp": .timestamp(milliseconds: arrival), "Data": .blob(data),
                "EncryptionType": .string("NONE"), "PartitionKey": .string(key), "SequenceNumber": .string(sequence),
            ])
        }
        var bytes: [UInt8] = [0xA3, 0x67] + Array("Records".utf8) + [0x9F]
        AWSCBOR.encode(
            record("49590338271490256608559692538361571095921575989136588898", "é", [0, 255], 17),
            into: &bytes
        )
        AWSCBOR.encode(record("2", "k", [], 1_767_225_601_000), into: &bytes)
        bytes.append(0xFF)
        AWSCBOR.encode(.string("MillisBehindLatest"), into: &bytes)
        AWSCBOR.encode(.integer(12), into: &bytes)
        AWSCBOR.encode(.string("NextShardIterator"), into: &bytes)
        AWSCBOR.encode(.string("AAAA/iter+=="), into: &bytes)
        let fast = try #require(GetRecordsOutput(fastDecoding: bytes, encoding: .cbor))
        let general = try GetRecordsOutput(ResponseReader("GetRecords", try AWSCBOR.decode(bytes)))
        #expect(fast == general)
        #expect(fast.records.map(\.data) == [[0, 255], []])
        #expect(fast.records.map(\.partitionKey) == ["é", "k"])
        #expect(fast.records.map(\.approximateArrivalMilliseconds) == [17, 1_767_225_601_000])
        #expect(fast.nextShardIterator == "AAAA/iter+==")
        #expect(fast.millisBehindLatest == 12)
        for unusual: AWSValue in [
            .map(["Records": .list([]), "MillisBehindLatest": .integer(0), "ChildShards": .list([])]),
            .map([
                "Records": .list([.map(["SequenceNumber": .string("1"), "PartitionKey": .string("k")])]),
                "NextShardIterator": .string("i"),
            ]),
            .map(["Records": .list([]), "NextShardIterator": .string("i"), "New": .integer(1)]),
        ] {
            #expect(GetRecordsOutput(fastDecoding: AWSCBOR.encode(unusual), encoding: .cbor) == nil, "\(unusual)")
        }
        #expect(GetRecordsOutput(fastDecoding: bytes + [0], encoding: .cbor) == nil)
    }
}

@Suite struct LentRecordsTests {
    static func answer(_ records: [(sequence: String, key: String, data: [UInt8])]) -> [UInt8] {
        AWSCBOR.encode(
            .map([
                "Records": .list(
                    records.enumerated().map { index, record in
                        .map([
                            "ApproximateArrivalTimestamp": .timestamp(milliseconds: 1_000 + Int64(index)),
                            "Data": .blob(record.data), "EncryptionType": .string(index == 1 ? "KMS" : "NONE"),
                            "PartitionKey": .string(record.key), "SequenceNumber": .string(record.sequence),
                        ])
                    }
                ),
                "MillisBehindLatest": .integer(5), "NextShardIterator": .string("next"),
            ])
        )
    }

    /// The records lent from an answer are the stored records the answer reads as, and a read's
    /// limits split them as they split stored records.
    @Test func lendWhatTheStoredRecordsPathReads() throws {
        let records = (0..<5).map { index in
            (sequence: "\(10 + index)", key: index == 2 ? "é" : "k\(index)", data: (0..<30).map { UInt8(index + $0) })
        }
        let bytes = Self.answer(records)
        let shard = ShardID(3)
        let read = try #require(LentRecords.scan(cborAnswer: bytes))
        let stored = try #require(KinesisBackend.storedRecords(cborAnswer: bytes, shard: shard)).records
        #expect(read.records.stored(shard: shard) == stored)
        #expect(read.nextShardIterator == "next")
        #expect(read.behind == 5)
        var viewed: [StoredRecord] = []
        read.records.lend { view in
            viewed.append(
                StoredRecord(
                    sequenceNumber: SequenceNumber(sequence: view.sequence, shard: shard),
                    arrivalMilliseconds: view.arrivalMilliseconds,
                    partitionKey: String(decoding: view.partitionKey, as: UTF8.self),
                    explicitHashKey: view.explicitHashKey,
                    data: Array(view.data),
                    isEncrypted: view.isEncrypted
                )
            )
        }
        #expect(viewed == stored)
        for (maxRecords, maxBytes) in [(2, 1 << 20), (10, 64), (10, 1), (10, 1 << 20)] {
            var rest = read.records
            let taken = rest.removePrefix(maxRecords: maxRecords, maxBytes: maxBytes)
            let expected = stored.wholeAggregatesPrefix(maxRecords: maxRecords, maxBytes: maxBytes)
            #expect(taken.stored(shard: shard) == Array(stored[..<expected]))
            #expect(rest.stored(shard: shard) == Array(stored[expected...]))
        }
    }

    /// An answer with a record that may be a KPL aggregate is left to the path that unpacks them.
    @Test func leaveAggregatesToTheStoredRecordsPath() {
        let aggregate = KPLAggregate.magic + Array(repeating: 0, count: 20)
        #expect(LentRecords.scan(cborAnswer: Self.answer([("10", "k", [1]), ("11", "k", aggregate)])) == nil)
        #expect(LentRecords.scan(cborAnswer: Self.answer([("10", "k", [1]), ("x", "k", [2])])) == nil)
    }
}
