/// An enhanced fan-out consumer registered on a stream.
public struct StreamConsumer: Sendable, Equatable {
    public var name: String
    /// What SubscribeToShard takes.
    public var arn: String
    /// `CREATING`, `ACTIVE` or `DELETING`.
    public var status: String
    public var creationMilliseconds: Int64?
    /// Reported by DescribeStreamConsumer only.
    public var streamARN: String?

    init(_ consumer: ResponseReader) throws(KinesisClientError) {
        name = try consumer.string("ConsumerName")
        arn = try consumer.string("ConsumerARN")
        status = try consumer.string("ConsumerStatus")
        creationMilliseconds = try consumer.optionalTimestamp("ConsumerCreationTimestamp")
        streamARN = try consumer.optionalString("StreamARN")
    }
}
