import StreamQAWS
import StreamQStorage

/// An idempotent producer's append to one shard, sent with PutRecords as streamq's extension
/// (``ProducerStampHeaders``): `streamq serve` stores it once however often it is sent; other
/// servers ignore it.
public struct IdempotentAppend: Sendable, Equatable {
    public var producer: ProducerStamp
    /// The shard the producer's sequence counts appends to (`shardId-000000000001`); every record
    /// must route to it.
    public var shardID: String

    public init(producer: ProducerStamp, shardID: String) {
        self.producer = producer
        self.shardID = shardID
    }

    var headers: [(name: String, value: String)] {
        ProducerStampHeaders.headers(producerID: producer.producerID, sequence: producer.sequence, shard: shardID)
    }
}
