/// `streamq serve`'s extension to GetRecords: a client that sends the header ``acceptHeader`` with
/// a CBOR request may be answered with the records as the shard stores them, compressed in their
/// batches, instead of one CBOR map per record; other Kinesis servers (AWS, moto) ignore the header
/// and answer as always.
///
/// Such an answer is the usual CBOR map whose first member is ``member``: a map of
/// `FirstSequence` and `EndSequence` (the shard-local sequences of the first record returned and
/// one past the last, as the batches number their records; a record's sequence number holds its
/// sequence plus one, see ``KinesisSequenceNumber``) and `Batches` (a byte string
/// of whole stored batches that hold them). `Records` is then empty; `MillisBehindLatest`,
/// `NextShardIterator` and `ChildShards` mean what they always mean. The server answers this way
/// only for batches it stores unencrypted.
public enum StoredBatchesExtension {
    public static let acceptHeader = "x-streamq-accept-stored-batches"
    public static let member = "StreamqStoredBatches"

    /// The bytes a CBOR answer of this form starts with after its map head: the member's key.
    public static let keyPrefix: [UInt8] = [0x60 | UInt8(member.utf8.count)] + Array(member.utf8)
}
