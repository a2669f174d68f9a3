import HTTPTypes
import StreamQAWS
import StreamQStorage

/// PutRecords with streamq's producer stamp (see ``ProducerStampHeaders``): the records are
/// stored as one idempotent append to the shard the stamp names, as the embedded store does.
extension KinesisService {
    /// An idempotent producer's append to one shard, as a request's headers name it.
    struct StampedAppend {
        var producer: ProducerStamp
        /// The shard id as sent, checked against the stream when the records are stored.
        var shard: String
    }

    private static let producerIDHeader = HTTPField.Name(ProducerStampHeaders.producerID)!
    private static let sequenceHeader = HTTPField.Name(ProducerStampHeaders.sequence)!
    private static let shardHeader = HTTPField.Name(ProducerStampHeaders.shard)!

    /// The stamp a request carries; nil without the headers.
    /// - Throws: InvalidArgumentException when only some are given or a number is not a decimal in
    ///   range (a producer id of 0 is not one).
    static func stampedAppend(in headers: HTTPFields) throws -> StampedAppend? {
        let id = headers[producerIDHeader]
        let sequence = headers[sequenceHeader]
        let shard = headers[shardHeader]
        guard id != nil || sequence != nil || shard != nil else { return nil }
        guard let id, let sequence, let shard else {
            throw KinesisErrors.invalidArgument(
                "\(ProducerStampHeaders.producerID), \(ProducerStampHeaders.sequence) and "
                    + "\(ProducerStampHeaders.shard) go together; the request lacks some."
            )
        }
        guard let producerID = UInt64(id), producerID > 0 else {
            throw KinesisErrors.invalidArgument(
                "\(ProducerStampHeaders.producerID) must be a decimal number from 1 to 2^64-1, got '\(id)'."
            )
        }
        guard let number = UInt64(sequence) else {
            throw KinesisErrors.invalidArgument(
                "\(ProducerStampHeaders.sequence) must be a decimal number from 0 to 2^64-1, got '\(sequence)'."
            )
        }
        return StampedAppend(producer: ProducerStamp(producerID: producerID, sequence: number), shard: shard)
    }

    /// Stores validated records as the stamped append: all or nothing, on the named shard. A stamp
    /// the shard already stored is answered with the sequence numbers it got then; throttling fails
    /// every entry (the client sends the whole request again).
    /// - Throws: ResourceNotFoundException for an unknown shard, ShardClosedException for a closed
    ///   one, InvalidArgumentException when a record routes elsewhere, OutOfOrderSequenceException
    ///   when the stamp skips ahead of the producer's next, DuplicateSequenceException when it is
    ///   older than the shard remembers.
    func storeIdempotently(
        _ records: [AppendRecord],
        as stamped: StampedAppend,
        in name: StreamName
    ) async throws -> PutRecordsOutcome {
        let description = try describe(name)
        let shard = try shardID(stamped.shard, in: description)
        guard shard.isOpen else { throw Self.shardClosed(shard.id, name) }
        if let stray = records.first(where: { !shard.hashKeyRange.contains($0.hashKey) }) {
            throw KinesisErrors.invalidArgument(
                "A PutRecords with \(ProducerStampHeaders.producerID) is one append to \(shard.id), but the record "
                    + "with partition key \(stray.partitionKey) routes to another shard."
            )
        }
        func outcome(_ entries: [PutRecordsOutcome.Entry]) -> PutRecordsOutcome {
            PutRecordsOutcome(
                entries: entries,
                createdSeconds: description.createdAtMilliseconds / 1000,
                encryptionType: encryptionType(description)
            )
        }
        let bytes = records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
        if let limits, !limits.admitWrite(stream: name, shard: shard.id, records: records.count, bytes: bytes) {
            let throttled = PutRecordsOutcome.Entry.failed(
                code: "ProvisionedThroughputExceededException",
                message: throughputExceeded(shard.id, name).message
            )
            return outcome(Array(repeating: throttled, count: records.count))
        }
        let first: SequenceNumber
        do {
            first = try await store.append(to: name, shard: shard.id, records, producer: stamped.producer)
        } catch let error as StreamQStorageError where error.code == .shardClosed {
            throw Self.shardClosed(shard.id, name)
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
        metrics.recordsIn(stream: name, shard: shard.id, records: records.count, bytes: bytes)
        writeRates.add(stream: name, shard: shard.id, records: records.count, bytes: bytes)
        return outcome(records.indices.map { .stored(shard: shard.id, sequence: first.sequence + UInt64($0)) })
    }

    static func shardClosed(_ shard: ShardID, _ name: StreamName) -> AWSError {
        AWSError(
            "ShardClosedException",
            "Shard \(shard) of stream \(name) is closed by a reshard; route the records to its children."
        )
    }
}
