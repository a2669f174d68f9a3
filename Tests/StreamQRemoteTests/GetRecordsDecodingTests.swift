import StreamQAWS
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
}
