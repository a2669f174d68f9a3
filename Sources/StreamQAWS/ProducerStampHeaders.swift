/// `streamq serve`'s extension to PutRecords for exactly-once appends: two HTTP headers naming an
/// idempotent producer's append, which other Kinesis servers (AWS, moto) ignore.
///
/// With both headers, `streamq serve` stores the request's records as one append to one shard (all
/// of them must route to that shard) stamped `(producer id, sequence)`, and answers a request whose
/// stamp that shard already stored with the original sequence numbers, storing nothing. Values are
/// decimal; the id is 1 to 2^64-1, the sequence counts the producer's appends to the shard from 0
/// without gaps. Clients sign them like any other header.
public enum ProducerStampHeaders {
    public static let producerID = "x-streamq-producer-id"
    public static let sequence = "x-streamq-producer-sequence"

    /// The headers for the append `sequence` of producer `producerID`.
    public static func headers(producerID: UInt64, sequence: UInt64) -> [(name: String, value: String)] {
        [(name: Self.producerID, value: String(producerID)), (name: Self.sequence, value: String(sequence))]
    }
}
