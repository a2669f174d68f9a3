import StreamQAWS

extension KinesisClient {
    /// Registers an enhanced fan-out consumer; it is usable once ACTIVE.
    public func registerStreamConsumer(streamARN: String, consumerName: String) async throws -> StreamConsumer {
        let input: AWSValue = .map(["StreamARN": .string(streamARN), "ConsumerName": .string(consumerName)])
        let response = try await call("RegisterStreamConsumer", input, streamARN: streamARN)
        return try StreamConsumer(ResponseReader("RegisterStreamConsumer", response).required("Consumer"))
    }

    /// The consumer with this ARN.
    public func describeStreamConsumer(consumerARN: String) async throws -> StreamConsumer {
        let response = try await call(
            "DescribeStreamConsumer",
            .map(["ConsumerARN": .string(consumerARN)]),
            streamARN: consumerARN
        )
        return try StreamConsumer(ResponseReader("DescribeStreamConsumer", response).required("ConsumerDescription"))
    }

    /// The consumer named `consumerName` on the stream.
    public func describeStreamConsumer(streamARN: String, consumerName: String) async throws -> StreamConsumer {
        let input: AWSValue = .map(["StreamARN": .string(streamARN), "ConsumerName": .string(consumerName)])
        let response = try await call("DescribeStreamConsumer", input, streamARN: streamARN)
        return try StreamConsumer(ResponseReader("DescribeStreamConsumer", response).required("ConsumerDescription"))
    }
}
