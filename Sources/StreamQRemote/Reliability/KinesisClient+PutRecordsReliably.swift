extension KinesisClient {
    /// Stores every record exactly once as far as the service acknowledges, in per-key order,
    /// re-driving only the entries that failed.
    ///
    /// Records go out in requests of at most ``KinesisClientConfiguration/putRecordsMaximumCount``
    /// entries and ``KinesisClientConfiguration/putRecordsMaximumBytes``. Entries that fail
    /// (`ProvisionedThroughputExceededException`, `InternalFailure`) are sent again in the next
    /// round after a full-jitter backoff; an acknowledged entry is never sent again. Order per
    /// partition key: once an entry of a key fails, every later entry of that key is held back
    /// until the failed one is stored, so no re-drive overtakes an earlier record. (Within one
    /// request the service may still store a key's later entry while failing an earlier one; only
    /// one entry per key per request would rule that out.)
    ///
    /// With `idempotent`, every request carries it (see ``putRecords(_:records:idempotent:)``): give
    /// it entries that fit one request, so that `streamq serve` sees the whole append each time.
    /// - Returns: where each record was stored, in input order.
    /// - Throws: ``PutRecordsReliablyError`` listing what was not stored, after
    ///   ``RetryBackoff/maxAttempts`` rounds or when a request fails outright.
    public func putRecordsReliably(
        stream: KinesisStreamReference,
        records: [PutRecordsEntry],
        idempotent: IdempotentAppend? = nil
    ) async throws -> [RecordLocation] {
        let batcher = PutRecordsBatcher(
            maximumCount: configuration.putRecordsMaximumCount,
            maximumBytes: configuration.putRecordsMaximumBytes
        )
        var stored = [RecordLocation?](repeating: nil, count: records.count)
        var lastFailure: [Int: String] = [:]
        var pending = Array(records.indices)
        var round = 0
        func failure(cause: (any Error)?) -> PutRecordsReliablyError {
            let unstored = stored.indices.filter { stored[$0] == nil }.map { index in
                PutRecordsReliablyError.Unstored(
                    index: index,
                    partitionKey: records[index].partitionKey,
                    reason: lastFailure[index] ?? "not sent"
                )
            }
            return PutRecordsReliablyError(
                stream: stream.description,
                attempts: round,
                stored: stored,
                unstored: unstored,
                cause: cause
            )
        }
        while !pending.isEmpty {
            guard round < configuration.retry.maxAttempts else { throw failure(cause: nil) }
            if round > 0 { try await Task.sleep(for: configuration.retry.delay(forRetry: round)) }
            round += 1
            var blockedKeys: Set<String> = []
            var retry: [Int] = []
            var queue = pending[...]
            while !queue.isEmpty {
                let batch = batcher.nextBatch(
                    from: &queue,
                    size: { records[$0].size },
                    isHeldBack: { blockedKeys.contains(records[$0].partitionKey) },
                    heldBack: &retry
                )
                guard !batch.isEmpty else { continue }
                // A batch of every record (the common case) holds them in order: sent as given.
                let entries = batch.count == records.count ? records : batch.map { records[$0] }
                let result: PutRecordsResult
                do {
                    result = try await putRecords(stream, records: entries, idempotent: idempotent)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw failure(cause: error)
                }
                for (index, entry) in zip(batch, result.entries) {
                    switch entry {
                    case .stored(let record):
                        stored[index] = record
                    case .failed(let code, let message):
                        lastFailure[index] = "\(code): \(message)"
                        blockedKeys.insert(records[index].partitionKey)
                        retry.append(index)
                    }
                }
            }
            pending = retry.sorted()
        }
        return stored.compactMap { $0 }
    }
}
