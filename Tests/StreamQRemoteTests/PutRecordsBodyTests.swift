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
