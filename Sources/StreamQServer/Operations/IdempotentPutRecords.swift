import HTTPTypes
import StreamQAWS
import StreamQStorage

/// PutRecords with streamq's producer stamp (see ``ProducerStampHeaders``): the records are
/// stored as one idempotent append to the one shard they route to, as the embedded store does.
extension KinesisService {
    private static let producerIDHeader = HTTPField.Name(ProducerStampHeaders.producerID)!
    private static let sequenceHeader = HTTPField.Name(ProducerStampHeaders.sequence)!

    /// The stamp a request carries; nil without the headers.
    /// - Throws: InvalidArgumentException when only one is given or a value is not a decimal
    ///   number in range (a producer id of 0 is not one).
    static func producerStamp(in headers: HTTPFields) throws -> ProducerStamp? {
        let id = headers[producerIDHeader]
        let sequence = headers[sequenceHeader]
        guard id != nil || sequence != nil else { return nil }
        guard let id, let sequence else {
            throw KinesisErrors.invalidArgument(
                "\(ProducerStampHeaders.producerID) and \(ProducerStampHeaders.sequence) go together; "
                    + "the request has only \(id == nil ? ProducerStampHeaders.sequence : ProducerStampHeaders.producerID)."
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
        return ProducerStamp(producerID: producerID, sequence: number)
    }

    /// Stores validated records as the append `producer` stamps: all or nothing, on one shard. A
    /// stamp the shard already stored is answered with the sequence numbers it got then; throttling
    /// fails every entry (the client sends the whole request again).
    /// - Throws: InvalidArgumentException when the records route to more than one shard,
    ///   OutOfOrderSequenceException when the stamp skips ahead of the producer's next,
    ///   DuplicateSequenceException when it is older than the shard remembers.
    func storeIdempotently(
        _ records: [AppendRecord],
        producer: ProducerStamp,
        in name: StreamName
    ) async throws -> PutRecordsOutcome {
        let description = try describe(name)
        let bytes = records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
        var reroutes = 0
        while true {
            let shard = try routeToOneShard(records, in: name)
            if let limits, !limits.admitWrite(stream: name, shard: shard, records: records.count, bytes: bytes) {
                let throttled = PutRecordsOutcome.Entry.failed(
                    code: "ProvisionedThroughputExceededException",
                    message: throughputExceeded(shard, name).message
                )
                return PutRecordsOutcome(
                    entries: Array(repeating: throttled, count: records.count),
                    createdSeconds: description.createdAtMilliseconds / 1000,
                    encryptionType: encryptionType(description)
                )
            }
            let first: SequenceNumber
            do {
                first = try await store.append(to: name, shard: shard, records, producer: producer)
            } catch let error as StreamQStorageError where error.code == .shardClosed && reroutes < 100 {
                reroutes += 1  // resharded between routing and storing: route again
                continue
            } catch {
                throw KinesisErrors.from(error, stream: name.rawValue, account: account)
            }
            metrics.recordsIn(stream: name, shard: shard, records: records.count, bytes: bytes)
            writeRates.add(stream: name, shard: shard, records: records.count, bytes: bytes)
            return PutRecordsOutcome(
                entries: records.indices.map { .stored(shard: shard, sequence: first.sequence + UInt64($0)) },
                createdSeconds: description.createdAtMilliseconds / 1000,
                encryptionType: encryptionType(description)
            )
        }
    }

    /// The open shard every record routes to.
    private func routeToOneShard(_ records: [AppendRecord], in name: StreamName) throws -> ShardID {
        var shards: [ShardID] = []
        do {
            for record in records {
                let shard = try store.shard(for: record.hashKey, in: name)
                if !shards.contains(shard) { shards.append(shard) }
            }
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
        guard shards.count == 1 else {
            throw KinesisErrors.invalidArgument(
                "A PutRecords with \(ProducerStampHeaders.producerID) is one append to one shard, but its records "
                    + "route to \(shards.map(\.description).joined(separator: ", ")): give them one partition key "
                    + "(or hash keys in one shard)."
            )
        }
        return shards[0]
    }
}
