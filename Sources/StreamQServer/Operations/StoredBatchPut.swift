import StreamQAWS
import StreamQStorage

/// `StreamqPutStoredBatch` (see ``StoredBatchesExtension``): records of one shard that a streamq
/// client encoded and compressed itself, checked here record by record and stored as one append
/// without being compressed again.
extension KinesisService {
    /// Checks the batch (see ``CompressedBatch/init(validating:checksum:isCompressed:rawLength:recordCount:hashKeys:maxRecordBytes:maxBatchBytes:)``)
    /// and stores it on its open shard as one append, stamped when `stamped` is given (a stamp the
    /// shard already stored is answered with the sequence numbers it got then).
    /// - Throws: ResourceNotFoundException for an unknown stream or shard, ShardClosedException for
    ///   a closed shard, InvalidArgumentException for a malformed batch or a record that routes
    ///   elsewhere, ProvisionedThroughputExceededException when throttled.
    func putStoredBatch(_ input: AWSValue, stamped: StampedAppend?) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let shardText = try reader.string("ShardId", required: true, length: 1...128)!
        let recordCount = try reader.integer("RecordCount", required: true, range: 1...Int64(UInt32.max))!
        let rawLength = try reader.integer("RawLength", required: true, range: 1...Int64(Int32.max))!
        let compressed = try reader.bool("Compressed") ?? false
        let checksum = try reader.integer("PayloadChecksum", required: true, range: 0...Int64(UInt32.max))!
        let payload = try reader.blob("Payload", required: true, maxLength: Self.maxRequestRecordBytes)!
        let name = try streamName(&reader)
        let description = try describe(name)
        let shard = try shardID(shardText, in: description)
        guard shard.isOpen else { throw Self.shardClosed(shard.id, name) }
        if let stamped, stamped.shard != shardText {
            throw KinesisErrors.invalidArgument(
                "\(ProducerStampHeaders.shard) names \(stamped.shard), but the batch is for \(shardText)."
            )
        }
        let batch: CompressedBatch
        do {
            batch = try CompressedBatch(
                validating: payload,
                checksum: UInt32(checksum),
                isCompressed: compressed,
                rawLength: Int(rawLength),
                recordCount: Int(recordCount),
                hashKeys: shard.hashKeyRange,
                maxRecordBytes: Self.maxDataBytes,
                maxBatchBytes: store.configuration.maxBatchBytes + store.configuration.maxRecordBytes
            )
        } catch let error as StreamQStorageError {
            throw KinesisErrors.invalidArgument("The batch for \(shard.id) of \(name) is refused: \(error.message)")
        }
        if let limits,
            !limits.admitWrite(stream: name, shard: shard.id, records: batch.recordCount, bytes: batch.rawLength)
        {
            throw throughputExceeded(shard.id, name)
        }
        let first: SequenceNumber
        do {
            first = try await withCheckedThrowingContinuation { continuation in
                do {
                    try store.enqueueAppend(to: name, shard: shard.id, compressed: batch, producer: stamped?.producer) {
                        continuation.resume(with: $0)
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } catch let error as StreamQStorageError where error.code == .shardClosed {
            throw Self.shardClosed(shard.id, name)
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
        metrics.recordsIn(stream: name, shard: shard.id, records: batch.recordCount, bytes: batch.rawLength)
        writeRates.add(stream: name, shard: shard.id, records: batch.recordCount, bytes: batch.rawLength)
        return .map([
            "ShardId": .string(shard.id.description),
            "FirstSequenceNumber": .string(recordSequenceNumber(first.sequence, shard: shard.id, in: description)),
            "RecordCount": .integer(Int64(batch.recordCount)),
            "EncryptionType": .string(encryptionType(description)),
        ])
    }
}
