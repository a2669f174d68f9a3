/// `streamq serve`'s extension to PutRecords for exactly-once appends: three HTTP headers naming an
/// idempotent producer's append to a shard, which other Kinesis servers (AWS, moto) ignore.
///
/// With them, `streamq serve` stores the request's records as one append to the named shard (every
/// record must route to it) stamped `(producer id, sequence)`, and answers a request whose stamp
/// that shard already stored with the original sequence numbers, storing nothing. The id and the
/// sequence are decimal: the id 1 to 2^64-1, the sequence counting the producer's appends to the
/// shard from 0 without gaps; the shard is its id (`shardId-000000000001`). A shard closed by a
/// reshard refuses the append with `ShardClosedException`: route again. Clients sign the headers
/// like any other.
public enum ProducerStampHeaders {
    public static let producerID = "x-streamq-producer-id"
    public static let sequence = "x-streamq-producer-sequence"
    public static let shard = "x-streamq-producer-shard"

    /// The headers for the append `sequence` of producer `producerID` to `shard`.
    public static func headers(producerID: UInt64, sequence: UInt64, shard: String) -> [(name: String, value: String)] {
        [
            (name: Self.producerID, value: String(producerID)), (name: Self.sequence, value: String(sequence)),
            (name: Self.shard, value: shard),
        ]
    }
}
