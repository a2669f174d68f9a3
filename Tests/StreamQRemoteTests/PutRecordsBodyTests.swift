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
            let value = try AWSJSON.decode(PutRecordsEntry.requestBody(stream, entries))
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

@Suite struct PutRecordsAnswerTests {
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
