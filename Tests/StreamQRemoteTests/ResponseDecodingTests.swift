import NIOHTTP1
import StreamQAWS
import Testing

@testable import StreamQRemote

@Suite struct ResponseDecodingTests {
    @Test func errorCodesAsBotocoreReadsThem() {
        let prefixed = KinesisClient.decodeError(
            status: 400,
            headers: [:],
            body: Array(#"{"__type":"com.amazonaws.kinesis#ResourceNotFoundException","Message":"gone"}"#.utf8)
        )
        #expect(prefixed == AWSError("ResourceNotFoundException", "gone", httpStatus: 400))
        let fromHeader = KinesisClient.decodeError(
            status: 400,
            headers: ["X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/"],
            body: Array(#"{"message":"slow down"}"#.utf8)
        )
        #expect(fromHeader == AWSError("ThrottlingException", "slow down", httpStatus: 400))
        let bare = KinesisClient.decodeError(status: 503, headers: [:], body: Array("<html>".utf8))
        #expect(bare.code == "InternalFailure")
        #expect(bare.httpStatus == 503)
    }

    @Test func retryableErrors() {
        func error(_ code: String, _ status: Int) -> KinesisClientError {
            KinesisClientError(
                operation: "PutRecords",
                attempts: 1,
                reason: .service(AWSError(code, "", httpStatus: status))
            )
        }
        for code in [
            "ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException",
            "KMSThrottlingException",
        ] {
            #expect(error(code, 400).isRetryable)
        }
        #expect(error("InternalFailure", 500).isRetryable)
        #expect(error("ServiceUnavailable", 503).isRetryable)
        #expect(!error("ResourceNotFoundException", 400).isRetryable)
        #expect(!error("InvalidSignatureException", 400).isRetryable)
        #expect(
            KinesisClientError(operation: "GetRecords", attempts: 1, reason: .transport("connection refused"))
                .isRetryable
        )
        let exhausted = KinesisClientError(
            operation: "GetRecords",
            attempts: 8,
            reason: .transport("connection refused")
        )
        #expect(exhausted.description == "Kinesis GetRecords failed after 8 attempts: connection refused")
    }

    @Test func subscribeToShardEventStream() throws {
        let record =
            #"{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898","#
            + #""ApproximateArrivalTimestamp":1700000000.123,"Data":"aGk=","PartitionKey":"k"}"#
        let event = #"{"Records":[\#(record)],"ContinuationSequenceNumber":"4959","MillisBehindLatest":0}"#
        var bytes = EventStreamMessage.event(type: "initial-response", json: Array("{}".utf8)).encoded()
        bytes += EventStreamMessage.event(type: "SubscribeToShardEvent", json: Array(event.utf8)).encoded()
        var reader = SubscribeToShardEventReader()
        // Fed in two pieces that split a message.
        var events = try reader.read(bytes.prefix(40))
        events += try reader.read(bytes.dropFirst(40))
        try reader.finish()
        #expect(events.count == 1)
        #expect(
            events.first?.records == [
                KinesisRecord(
                    sequenceNumber: "49590338271490256608559692538361571095921575989136588898",
                    approximateArrivalMilliseconds: 1_700_000_000_123,
                    data: Array("hi".utf8),
                    partitionKey: "k"
                )
            ]
        )
        #expect(events.first?.continuationSequenceNumber == "4959")

        var failing = SubscribeToShardEventReader()
        let exception =
            EventStreamMessage.event(type: "initial-response", json: Array("{}".utf8)).encoded()
            + EventStreamMessage.exception(type: "ResourceInUseException", message: "taken over").encoded()
        let error = try #require(throws: AWSError.self) { try failing.read(exception) }
        #expect(error == AWSError("ResourceInUseException", "taken over", httpStatus: 400))

        var withoutInitialResponse = SubscribeToShardEventReader()
        #expect(throws: KinesisClientError.self) {
            try withoutInitialResponse.read(
                EventStreamMessage.event(type: "SubscribeToShardEvent", json: Array(event.utf8)).encoded()
            )
        }
    }
}
