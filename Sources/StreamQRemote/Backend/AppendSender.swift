import StreamQAWS
import StreamQStorage

/// Stores one append's records with PutRecords, re-driving what the service did not store, and
/// says where the first record went.
struct AppendSender: Sendable {
    let client: KinesisClient
    /// Rounds of ``KinesisClient/putRecordsReliably(stream:records:idempotent:)`` for records still unstored.
    let rounds: Int
    /// Whether records go as KPL aggregates.
    let aggregate: Bool

    /// The first record's sequence number, or why the append failed:
    /// ``KinesisTransientAppendError`` when nothing was stored and sending again may work,
    /// otherwise the client's error (``PutRecordsReliablyError`` names what was not stored).
    ///
    /// A stamped append goes whole in every request, with the stamp and the shard as streamq's
    /// extension (``IdempotentAppend``): `streamq serve` stores it once however often it is sent,
    /// and its refusals come back as the embedded store's (`.outOfOrderSequence`,
    /// `.duplicateSequence`, `.shardClosed`). One that does not fit one PutRecords fails with
    /// `.invalidArgument`, unsent.
    func send(
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        to key: ShardKey
    ) async -> Result<SequenceNumber, any Error> {
        let entries =
            aggregate
            ? Self.aggregates(of: records)
            : records.map {
                PutRecordsEntry(
                    data: $0.data,
                    partitionKey: $0.partitionKey,
                    explicitHashKey: $0.explicitHashKey?.description
                )
            }
        if producer != nil, let refusal = Self.refusalToSendWhole(entries, client.configuration) {
            return .failure(refusal)
        }
        var stored = [RecordLocation?](repeating: nil, count: entries.count)
        var round = 0
        while stored.contains(where: { $0 == nil }) {
            round += 1
            let unstored = stored.indices.filter { stored[$0] == nil }
            do {
                let locations = try await client.putRecordsReliably(
                    stream: .name(key.stream.rawValue),
                    records: unstored.map { entries[$0] },
                    idempotent: producer.map { IdempotentAppend(producer: $0, shardID: key.shard.description) }
                )
                for (index, location) in zip(unstored, locations) { stored[index] = location }
            } catch let error as PutRecordsReliablyError {
                for (index, location) in zip(unstored, error.stored) { stored[index] = location }
                let transient = error.cause.map { ($0 as? KinesisClientError)?.isRetryable ?? false } ?? true
                if let refusal = error.cause.flatMap(Self.storeRefusal) { return .failure(refusal) }
                if stored.allSatisfy({ $0 == nil }) {
                    return .failure(transient ? KinesisTransientAppendError(underlying: error) : error)
                }
                guard transient, round < rounds else { return .failure(error) }
                try? await Task.sleep(for: client.configuration.retry.delay(forRetry: round))
            } catch {
                return .failure(error)
            }
        }
        guard let first = stored[0] else { return .failure(KinesisBackendError("PutRecords stored nothing")) }
        return Result {
            SequenceNumber(
                sequence: try ShardSequenceMapping.position(of: first.sequenceNumber),
                shard: try KinesisBackend.shardID(first.shardID)
            )
        }
    }

    /// Why a stamped append cannot go as one PutRecords; nil when it can.
    private static func refusalToSendWhole(
        _ entries: [PutRecordsEntry],
        _ configuration: KinesisClientConfiguration
    ) -> StreamQStorageError? {
        let bytes = entries.reduce(0) { $0 + $1.size }
        guard entries.count > configuration.putRecordsMaximumCount || bytes > configuration.putRecordsMaximumBytes
        else { return nil }
        return StreamQStorageError(
            .invalidArgument,
            "an idempotent append goes as one PutRecords, of at most \(configuration.putRecordsMaximumCount) "
                + "records and \(configuration.putRecordsMaximumBytes) bytes; this one has \(entries.count) and \(bytes)"
        )
    }

    /// `streamq serve`'s refusal of a stamped append, as the embedded store's error.
    private static func storeRefusal(_ error: any Error) -> StreamQStorageError? {
        guard let service = KinesisClientError.serviceError(of: error) else { return nil }
        switch service.code {
        case "OutOfOrderSequenceException": return StreamQStorageError(.outOfOrderSequence, service.message)
        case "DuplicateSequenceException": return StreamQStorageError(.duplicateSequence, service.message)
        case "ShardClosedException": return StreamQStorageError(.shardClosed, service.message)
        default: return nil
        }
    }

    /// The records as KPL aggregates, in order.
    private static func aggregates(of records: [AppendRecord]) -> [PutRecordsEntry] {
        var entries: [PutRecordsEntry] = []
        var aggregator = KPLAggregator()
        for record in records {
            let user = UserRecord(
                partitionKey: record.partitionKey,
                explicitHashKey: record.explicitHashKey?.description,
                data: record.data
            )
            if !aggregator.fits(user), let (entry, _) = aggregator.take() { entries.append(entry) }
            aggregator.add(user, hash: record.hashKey)
        }
        if let (entry, _) = aggregator.take() { entries.append(entry) }
        return entries
    }
}
