import StreamQAWS
import StreamQStorage
import Synchronization

extension KinesisClient {
    /// Whether the endpoint has said, in any answer so far, that it takes records as stored
    /// batches (``StoredBatchesExtension``: `streamq serve` does, other Kinesis servers do not).
    public var offersStoredBatches: Bool { storedBatchesOffered.load(ordering: .relaxed) }

    /// Where a stored batch was put.
    public struct StoredBatchLocation: Sendable, Equatable {
        public var shardID: String
        public var firstSequenceNumber: String
        public var recordCount: Int
    }

    /// Sends records of one open shard, encoded and compressed here, as one append
    /// (``StoredBatchesExtension``; only to an endpoint that ``offersStoredBatches``). Retried as
    /// any call; with `idempotent` a retry whose first answer was lost is stored once.
    /// - Throws: ``KinesisClientError``: `ShardClosedException` when a reshard closed the shard
    ///   (send the records by PutRecords then), `InvalidArgumentException` when a record does not
    ///   route to it.
    public func putStoredBatch(
        _ stream: KinesisStreamReference,
        shardID: String,
        batch: CompressedBatch,
        idempotent: IdempotentAppend? = nil
    ) async throws -> StoredBatchLocation {
        let encoding = await requestEncoding()
        var body: [UInt8] = []
        body.reserveCapacity(batch.bytes.count + 256)
        encoding.encode(
            stream.input([
                "ShardId": .string(shardID), "RecordCount": .integer(Int64(batch.recordCount)),
                "RawLength": .integer(Int64(batch.rawLength)), "Compressed": .bool(batch.isCompressed),
                "PayloadChecksum": .integer(Int64(batch.checksum)),
                "Payload": .blob(batch.bytes),
            ]),
            into: &body
        )
        let answer = try await call(
            StoredBatchesExtension.putOperation,
            body: body,
            encoding: encoding,
            streamARN: stream.arn,
            headers: idempotent?.headers ?? []
        ) { payload, answer throws(KinesisClientError.Reason) -> AWSValue in
            do {
                return try answer.decode(payload)
            } catch {
                throw .invalidResponse("body is not \(answer == .json ? "JSON" : "CBOR") (\(error))")
            }
        }
        let reader = ResponseReader(StoredBatchesExtension.putOperation, answer)
        return StoredBatchLocation(
            shardID: try reader.string("ShardId"),
            firstSequenceNumber: try reader.string("FirstSequenceNumber"),
            recordCount: Int(try reader.integer("RecordCount"))
        )
    }
}
