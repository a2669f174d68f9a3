/// `streamq serve`'s extensions that move records between a streamq client and the server as the
/// shard stores them: encoded and compressed in batches, instead of one CBOR map per record. Every
/// answer of `streamq serve` carries ``extensionsHeader`` naming them, so a client uses them only
/// with a server that has them; other Kinesis servers (AWS, moto) never see them.
///
/// - Reading: a CBOR GetRecords with the header ``acceptHeader`` may be answered with the usual
///   CBOR map whose first member is ``member``: a map of `FirstSequence` and `EndSequence` (the
///   shard-local sequences of the first record returned and one past the last, as the batches
///   number their records; a record's sequence number holds its sequence plus one, see
///   ``KinesisSequenceNumber``) and `Batches` (a byte string of whole stored batches that hold
///   them). `Records` is then empty; `MillisBehindLatest`, `NextShardIterator` and `ChildShards`
///   mean what they always mean. Only batches stored unencrypted travel this way.
/// - Writing: the operation ``putOperation`` (target `Kinesis_20131202.StreamqPutStoredBatch`)
///   takes `StreamName`, `ShardId`, `RecordCount`, `RawLength`, `Compressed` (zstd or not),
///   `PayloadChecksum` (its CRC-32C) and `Payload`: records of one open shard in the store's record encoding, as one batch's payload.
///   The server checks every record (framing, partition key, size, that it routes to the shard)
///   and stores the payload as one append, stamped when the request carries
///   ``ProducerStampHeaders`` (whose shard must be the same); it answers `ShardId`,
///   `FirstSequenceNumber`, `RecordCount` and `EncryptionType`.
public enum StoredBatchesExtension {
    /// The answer header that lists a server's extensions (``name`` among them).
    public static let extensionsHeader = "x-streamq-extensions"
    public static let name = "stored-batches"

    public static let acceptHeader = "x-streamq-accept-stored-batches"
    public static let member = "StreamqStoredBatches"
    /// The bytes a CBOR answer of this form starts with after its map head: the member's key.
    public static let keyPrefix: [UInt8] = [0x60 | UInt8(member.utf8.count)] + Array(member.utf8)

    public static let putOperation = "StreamqPutStoredBatch"
}
