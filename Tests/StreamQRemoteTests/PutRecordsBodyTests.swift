import NIOCore
import StreamQAWS
import Testing

@testable import StreamQRemote

@Suite struct PutRecordsBodyTests {
    /// The directly written body reads back, through the general JSON decoder, as its entries.
    @Test func aPutRecordsBodyIsTheJSONOfItsEntries() throws {
        let entries = [
            PutRecordsEntry(data: [0, 1, 255], partitionKey: "k\"1\\"),
            PutRecordsEntry(data: [], partitionKey: "é", explicitHashKey: "42"),
        ]
        for stream in [KinesisStreamReference.name("s"), .arn("arn:aws:kinesis:us-east-1:000000000000:stream/s")] {
            let value = try AWSJSON.decode(PutRecordsEntry.requestBody(stream, entries, encoding: .json))
            switch stream {
            case .name(let name): #expect(value["StreamName"]?.stringValue == name)
            case .arn(let arn): #expect(value["StreamARN"]?.stringValue == arn)
            }
            let records = try #require(value["Records"]?.listValue)
            #expect(records.map { $0["Data"]?.blobValue } == [[0, 1, 255], []])
            #expect(records.map { $0["PartitionKey"]?.stringValue } == ["k\"1\\", "é"])
            #expect(records.map { $0["ExplicitHashKey"]?.stringValue } == [nil, "42"])
        }
    }
}

extension PutRecordsBodyTests {
    /// The CBOR body reads back, through the general CBOR decoder, as its entries, data as bytes.
    @Test func aCBORPutRecordsBodyCarriesTheDataAsBytes() throws {
        let entries = [
            PutRecordsEntry(data: [0, 1, 255], partitionKey: "k\"1\\"),
            PutRecordsEntry(data: [], partitionKey: "é", explicitHashKey: "42"),
        ]
        let value = try AWSCBOR.decode(PutRecordsEntry.requestBody(.name("s"), entries, encoding: .cbor))
        #expect(value["StreamName"]?.stringValue == "s")
        let records = try #require(value["Records"]?.listValue)
        #expect(records.map { $0["Data"] } == [.blob([0, 1, 255]), .blob([])])
        #expect(records.map { $0["PartitionKey"]?.stringValue } == ["k\"1\\", "é"])
        #expect(records.map { $0["ExplicitHashKey"]?.stringValue } == [nil, "42"])
    }
}

@Suite struct PutRecordsAnswerTests {
    /// The direct reading of a CBOR answer agrees with the general decoder's (definite and
    /// indefinite lengths), and leaves anything unusual to it.
    @Test func theCommonCBORAnswerIsReadDirectly() throws {
        let answer: AWSValue = .map([
            "FailedRecordCount": .integer(1),
            "Records": .list([
                .map(["SequenceNumber": .string("4968"), "ShardId": .string("shardId-000000000001")]),
                .map([
                    "ErrorCode": .string("ProvisionedThroughputExceededException"),
                    "ErrorMessage": .string("Rate exceeded"),
                ]),
                .map(["SequenceNumber": .string("4969"), "ShardId": .string("shardId-000000000001")]),
            ]),
            "EncryptionType": .string("KMS"),
        ])
        let bytes = AWSCBOR.encode(answer)
        let fast = try #require(PutRecordsResult(fastDecoding: bytes, encoding: .cbor))
        let general = try PutRecordsResult(ResponseReader("PutRecords", try AWSCBOR.decode(bytes)), expectedCount: 3)
        #expect(fast == general)
        #expect(fast.failedRecordCount == 1)
        // The same answer with an indefinite-length Records array (its last member: keys are sorted).
        let recordsKey: [UInt8] = [0x67] + Array("Records".utf8)
        let start = try #require(bytes.firstRange(of: recordsKey)).upperBound
        var indefinite = bytes
        indefinite[start] = 0x9F
        indefinite.append(0xFF)
        #expect(PutRecordsResult(fastDecoding: indefinite, encoding: .cbor) == fast)
        for unusual: AWSValue in [
            .map(["FailedRecordCount": .integer(0), "Records": .list([]), "Extra": .bool(true)]),
            .map(["FailedRecordCount": .integer(0), "Records": .list([.map(["SequenceNumber": .string("1")])])]),
            .map(["Records": .list([])]),
            .map(["FailedRecordCount": .string("0"), "Records": .list([])]),
        ] {
            #expect(PutRecordsResult(fastDecoding: AWSCBOR.encode(unusual), encoding: .cbor) == nil, "\(unusual)")
        }
        #expect(PutRecordsResult(fastDecoding: [], encoding: .cbor) == nil)
        #expect(PutRecordsResult(fastDecoding: bytes + [0], encoding: .cbor) == nil)
    }

    /// The direct reading of an answer agrees with the general decoder's, and leaves anything
    /// unusual to it.
    @Test func theCommonAnswerIsReadDirectly() throws {
        let answer = """
            { "FailedRecordCount" : 1, "Records": [{"SequenceNumber":"4968","ShardId":"shardId-000000000001"},\
            {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}],\
            "EncryptionType":"KMS"}
            """
        let result = try #require(PutRecordsResult(fastDecoding: Array(answer.utf8)))
        #expect(result.failedRecordCount == 1)
        #expect(result.encryptionType == "KMS")
        #expect(
            result.entries == [
                .stored(RecordLocation(shardID: "shardId-000000000001", sequenceNumber: "4968")),
                .failed(code: "ProvisionedThroughputExceededException", message: "Rate exceeded"),
            ]
        )
        for unusual in [
            #"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s\u0031"}]}"#,
            #"{"FailedRecordCount":0,"Records":[],"Extra":true}"#,
            #"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1"}]}"#,
            #"{"Records":[]}"#,
            #"{"FailedRecordCount":0,"Records":[]} trailing"#,
            "",
        ] {
            #expect(PutRecordsResult(fastDecoding: Array(unusual.utf8)) == nil, "\(unusual)")
        }
    }
}

@Suite struct DirectlyWrittenPutRecordsBodyTests {
    static let entries = [
        PutRecordsEntry(data: [0, 1, 255], partitionKey: "k\"1\\"),
        PutRecordsEntry(data: [], partitionKey: "é"),
        PutRecordsEntry(data: Array(repeating: 7, count: 300), partitionKey: String(repeating: "p", count: 256)),
    ]

    static func body(_ entries: [PutRecordsEntry], stream: KinesisStreamReference = .name("s")) -> PutRecordsBody {
        var body = PutRecordsBody(stream: stream)
        for entry in entries {
            entry.data.withUnsafeBytes { body.append(data: $0, partitionKey: entry.partitionKey) }
        }
        return body
    }

    /// Records written one by one make a body that reads back as the entries' CBOR body does
    /// (its array of indefinite length), and give the entries back.
    @Test func isTheCBORBodyOfItsEntries() throws {
        for stream in [KinesisStreamReference.name("s"), .arn("arn:aws:kinesis:us-east-1:000000000000:stream/s")] {
            let body = Self.body(Self.entries, stream: stream)
            #expect(
                try AWSCBOR.decode(Array(body.request.readableBytesView))
                    == AWSCBOR.decode(PutRecordsEntry.requestBody(stream, Self.entries, encoding: .cbor))
            )
            #expect(body.stream == stream)
            #expect(body.entries == Self.entries)
            #expect(body.count == 3)
            #expect(body.size == Self.entries.reduce(0) { $0 + $1.size })
        }
    }

    /// The body is a whole request after every record (the next one overwrites the break that
    /// closes the array), and the next body of a lane starts empty.
    @Test func isAWholeRequestAfterEveryRecord() throws {
        var body = PutRecordsBody(stream: .name("s"))
        #expect(try AWSCBOR.decode(Array(body.request.readableBytesView))["Records"]?.listValue == [])
        for (count, entry) in Self.entries.enumerated() {
            entry.data.withUnsafeBytes { body.append(data: $0, partitionKey: entry.partitionKey) }
            let expected = PutRecordsEntry.requestBody(.name("s"), Array(Self.entries[...count]), encoding: .cbor)
            #expect(try AWSCBOR.decode(Array(body.request.readableBytesView)) == AWSCBOR.decode(expected))
        }
        let next = PutRecordsBody(reservingLike: body)
        #expect(next.isEmpty && next.size == 0 && next.stream == .name("s"))
    }

    /// An answer storing every record is recognised without its strings; one with a failure, a
    /// different count, or another shape is left to the full decoder.
    @Test func recognisesAnAnswerThatStoredEverything() {
        let stored: AWSValue = .map(["SequenceNumber": .string("4968"), "ShardId": .string("shardId-000000000001")])
        let failed: AWSValue = .map(["ErrorCode": .string("InternalFailure"), "ErrorMessage": .string("x")])
        func answer(_ records: [AWSValue], failed count: Int64) -> [UInt8] {
            AWSCBOR.encode(
                .map([
                    "FailedRecordCount": .integer(count), "Records": .list(records), "EncryptionType": .string("NONE"),
                ])
            )
        }
        #expect(PutRecordsBody.allStored(cborAnswer: answer([stored, stored], failed: 0), count: 2))
        #expect(!PutRecordsBody.allStored(cborAnswer: answer([stored, stored], failed: 0), count: 3))
        #expect(!PutRecordsBody.allStored(cborAnswer: answer([stored, failed], failed: 1), count: 2))
        #expect(!PutRecordsBody.allStored(cborAnswer: answer([stored, stored], failed: 1), count: 2))
        #expect(!PutRecordsBody.allStored(cborAnswer: AWSCBOR.encode(.map(["Records": .list([stored])])), count: 1))
        #expect(!PutRecordsBody.allStored(cborAnswer: [], count: 0))
    }
}
